export { runDoctor, localIpv4Addresses, type DoctorOptions } from './doctor';
export { parseEnvFile, mergeEnvironment, EnvFileError } from './env-file';
export { renderTable, summary, exitCode, type CheckResult, type Status } from './report';
export { resolveTargets, withDefaults, type Targets } from './targets';
export { serviceConfigProblems } from './service-config';
export { parseArgs, UsageError, type CliOptions } from './main';
