import { ConfigError } from '@voc/config';
import { main } from '@voc/service-kit';
import { loadGatewayConfig, type GatewayConfig } from './config';
import { startGateway } from './service';

// Fail fast, naming every bad variable, before anything connects.
let cfg: GatewayConfig;
try {
  cfg = loadGatewayConfig();
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
}

main({
  name: 'gateway',
  port: cfg.GATEWAY_PORT,
  // Prometheus scrapes its own port: the API port (public) does not expose /metrics.
  metricsPort: cfg.GATEWAY_METRICS_PORT,
  // Leaves the in-flight drain its full SHUTDOWN_TIMEOUT_MS before the hard deadline.
  shutdownTimeoutMs: cfg.SHUTDOWN_TIMEOUT_MS + 5000,
  start: async (ctx) => {
    await startGateway(ctx, cfg);
  },
});
