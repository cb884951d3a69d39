/**
 * The multi-host harness, for the runs that stand hosts up on one machine
 * (test:ha: network namespaces running the compose files' services as
 * processes; test:containers: a Docker engine per namespace):
 *
 * - the test bed: namespaces on a bridge, hosts files, cutting a host off;
 * - a compose service as a process (its environment, mounts and image
 *   contract), supervised like compose's restart policy; the apps as processes;
 * - reading a host's .env and compose file;
 * - the plug-ins' uploads, the database audit and its figures, Prometheus text.
 */
export { Database, type StageCounts } from './integrity';
export { mergeOutcomes, planUploads, retryableStatus, reviewKey, sendUploads, type UploadChunk, type UploadOutcome } from './uploads';
export { activeServices, appOf, commandOf, filledEnv, imageVariable, LLM_SIM_NICE, parseEnvFile, SIM_PROFILE, TEST_BED_MAX_API_TPM, testValue } from './deployment';
export { parseCompose, rawEnvironment, interpolate, type ComposeFile, type ComposeService } from './compose';
export { check, lostAndDuplicated, type Check, type Integrity } from './figures';
export { HostServices, runOneShot, type HostPlan, type ObservedApp, type OneShot, type PlannedService, type SupervisedApp } from './hosts';
export { mapPaths, prepareDirs, processPath, serviceProcess, spawnArgs, writeShims, type ImageContract, type ProcessLayout, type ServiceProcess } from './service-process';
export { SupervisedHost } from './supervisor';
export { intOption } from './options';
export { CounterLedger, parsePrometheus, sumSamples, type CounterKey } from './metrics';
export {
  dropExtraAddresses,
  HOST_IFACE,
  hostAddresses,
  killAllIn,
  netnsPrefix,
  pidsIn,
  reniceAllIn,
  setHostLink,
  setUpTestbed,
  tearDownTestbed,
  writeHostsFile,
  type Testbed,
  type TestHost,
} from './testbed';
