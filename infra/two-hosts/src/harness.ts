/**
 * What other multi-host test beds (infra/containers) reuse from this one:
 * the database audit, the upload plan and sender, the compose-env helpers,
 * the figures' integrity type and the namespace process lister.
 */
export { Database } from './integrity';
export { planUploads, sendUploads, type UploadOutcome } from './uploads';
export { parseEnvFile, testValue } from './deployment';
export type { Integrity } from './figures';
export { pidsIn, type TestHost } from './testbed';
