module.exports = { ...require('../../jest.preset.js'), displayName: 'learning-svc' };
