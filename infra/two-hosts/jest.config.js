module.exports = { ...require('../../jest.preset.js'), displayName: 'two-hosts' };
