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
 *   the shared servers and where they live; PG_NODES, ETCD_MEMBERS,
 *   REDIS_NODES, SENTINELS, NATS_NODES, GATEWAYS, HAPROXY: each kind of server
 *   of the high-availability layout (one per host, the witness's votes).
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
export { natsConfig, poolConnections } from './servers';
export { ARCHIVE_COMMAND, PATRONI_PATHS, PATRONI_TIMING, patroniConfig, PG_MEMORY_MB } from './patroni';
export { ETCD_DATA, ETCD_TIMING } from './etcd';
export { REDIS_MAXMEMORY, REDIS_SCRIPTS, SENTINEL_TIMING } from './redis';
export { HAPROXY_CHECKS, HAPROXY_CONFIG, haproxyConfig } from './haproxy';
export { KEEPALIVED_PATHS, VRRP_ADVERT_S, VRRP_PRIORITY } from './keepalived';
export { BACKUP_MOUNT, BACKUP_SCRIPTS, REPLICATION_USER, RESTORE_PORT } from './backups';
export {
  addressVariable,
  databaseUrl,
  endpoint,
  endpointAddress,
  ENDPOINTS,
  ETCD_MEMBERS,
  extraHosts,
  GATEWAYS,
  HAPROXY,
  NATS_CLUSTER_NAME,
  NATS_NODES,
  NATS_URL,
  natsNodesOf,
  PATRONI_SCOPE,
  PG_NODES,
  REDIS_MASTER_NAME,
  REDIS_NODES,
  redisUrl,
  SENTINEL_QUORUM,
  SENTINELS,
  type EtcdMember,
  type Endpoint,
  type NatsNode,
  type PgNode,
  type ServerRole,
} from './topology';
export { hostVariable, HOST_VARIABLES, ref, sampleEnv, sampleValue, variablesOf, type HostVariable, type VariableFormat } from './variables';
export { stripComments, toYaml, type YamlMap, type YamlValue } from './yaml';
