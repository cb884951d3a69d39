module.exports = { ...require('../../jest.preset.js'), displayName: 'ingest-svc' };
