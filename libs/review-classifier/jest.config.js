module.exports = { ...require('../../jest.preset.js'), displayName: 'review-classifier' };
