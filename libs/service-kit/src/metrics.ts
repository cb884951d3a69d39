import { Registry, collectDefaultMetrics } from 'prom-client';

/** A registry per process with Node's default metrics, labelled with the service name. */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service, node: process.env.NODE_NAME ?? 'local' });
  collectDefaultMetrics({ register: registry });
  return registry;
}
