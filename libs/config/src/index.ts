export { ConfigError, loadConfig, loadServiceConfig } from './load';
export { env, connectionEnv, serviceEnv } from './fields';
export {
  DEPLOY_ROLES,
  SERVICE_NAMES,
  SERVICES,
  cpuClassOf,
  placement,
  serviceDefinition,
  serviceEnvironment,
  servicesOn,
  type DeployRole,
  type HostRole,
  type Placement,
  type ServiceDefinition,
  type ServiceName,
} from './services';
export { CPU_CLASSES, SERVER_CPU_CLASSES, type CpuClass, type CpuClassSettings, type ServerName } from './cpu-class';
export { NODE_RUNTIME_ENV, nodeFlagsOf } from './node-runtime';
