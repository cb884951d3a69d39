export { ConfigError, loadConfig } from './load';
export { env, connectionEnv, serviceEnv } from './fields';
export { SERVICES, serviceEnvironment, type ServiceName, type ServiceDefinition, type HostRole } from './services';
