module.exports = { ...require('../../jest.preset.js'), displayName: 'theme-svc' };
