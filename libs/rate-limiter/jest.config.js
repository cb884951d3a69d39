module.exports = { ...require('../../jest.preset.js'), displayName: 'rate-limiter' };
