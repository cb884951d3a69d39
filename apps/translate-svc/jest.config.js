module.exports = { ...require('../../jest.preset.js'), displayName: 'translate-svc' };
