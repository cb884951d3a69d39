module.exports = { ...require('../../jest.preset.js'), displayName: 'insight-svc' };
