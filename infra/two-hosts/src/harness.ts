/**
 * What other test beds (infra/containers, e2e/faults) reuse from this one:
 * the database audit, the upload plan and sender, the Prometheus parser,
 * the compose-env helpers, the figures' integrity type and the namespace
 * process lister.
 */
export { Database } from './integrity';
export { parsePrometheus, sumSamples } from './metrics';
export { planUploads, reviewKey, sendUploads, type UploadChunk, type UploadOutcome } from './uploads';
export { parseEnvFile, testValue, TEST_BED_MAX_API_TPM } from './deployment';
export type { Integrity } from './figures';
export { pidsIn, type TestHost } from './testbed';
