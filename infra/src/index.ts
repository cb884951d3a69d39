/**
 * The deployment model of infra/: compose files generated from libs/config's
 * SERVICES. Importable by tools (the doctor, tests, a process-based harness):
 *
 * - composeFile(role): the services of a host as data (image, command,
 *   environment with `${VAR}` references, ports, healthchecks, limits);
 * - HOST_VARIABLES / variablesOf(role) / sampleEnv(role): the host-level
 *   environment (.env) and which entries are secrets;
 * - interpolate / interpolateEnvironment: compose's `${VAR…}` rules;
 * - ENDPOINTS / extraHosts / endpointAddress: the names every host uses for
 *   the shared servers and where they live.
 */
export { appEnvironment, appService, heapLimitMb, APP_HEALTHCHECK } from './apps';
export {
  composeDocument,
  composeYaml,
  parseMemLimit,
  type ComposeFile,
  type ComposeService,
  type Healthcheck,
} from './compose-types';
export { dashboardJson, dashboardMetricNames, DASHBOARD_ROWS } from './dashboard';
export { envExample, hostsTable, withGeneratedSections } from './docs';
export { generatedFiles, GENERATED_NOTE, README_PATH, type GeneratedFile } from './files';
export { composeFile, memoryBudget, HOST_MEMORY_MB, MIN_HOST_RESERVE_MB, type MemoryBudget } from './hosts';
export { OFFICIAL_IMAGES, type OfficialImage } from './images';
export { interpolate, interpolateEnvironment, references, type MissingVariable, type Reference } from './interpolate';
export { prometheusAgentConfig, prometheusConfig } from './monitoring';
export { applyOverride, OVERRIDES, type Override } from './overrides';
export { PG_BACKUP, PG_DUMP_COMMAND, PG_RESTORE_COMMAND } from './runbook';
export { natsConfig, natsNodesOf, poolConnections, REDIS_MAXMEMORY } from './servers';
export {
  addressVariable,
  endpoint,
  endpointAddress,
  ENDPOINTS,
  extraHosts,
  NATS_CLUSTER_NAME,
  NATS_NODES,
  NATS_URL,
  type Endpoint,
  type NatsNode,
} from './topology';
export { hostVariable, HOST_VARIABLES, ref, sampleEnv, sampleValue, variablesOf, type HostVariable, type VariableFormat } from './variables';
export { stripComments, toYaml, type YamlMap, type YamlValue } from './yaml';
