import { simConfigFromEnv } from './config';
import { startLlmSim } from './server';

// Configuration errors name every bad variable; print them and exit 1.
try {
  const config = simConfigFromEnv();
  startLlmSim(config, { handleSignals: true }).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
