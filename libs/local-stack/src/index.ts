export { ensureBinaries, type Binaries } from './install';
export { descendantsOf, freePort, signalProcessTree, stablePort, startProcess, waitUntil, type ManagedProcess } from './process';
export { startNats, startPostgres, startRedis, type RunningServer, type NatsOptions, type RedisOptions, type PostgresOptions } from './servers';
export { startNatsCluster, waitForJetStreamQuorum, type NatsCluster, type NatsClusterOptions } from './cluster';
export { startStack, type Stack, type StackOptions } from './stack';
export { startTestStack, type TestStack } from './testing';
export { appEntryArgs, bundleApps, startApp, waitReady, type AppRuntime, type RunningApp, type StartAppOptions } from './fleet';
export { startFaultProxy, type FaultMode, type FaultProxy } from './fault-proxy';
