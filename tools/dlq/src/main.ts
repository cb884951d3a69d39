/**
 * `npm run dlq -- list | show | requeue | drop`: the operator's view of the
 * DLQ (see cli.ts for the commands, infra/README.md for the runbook step).
 * Exits 0 when done, 1 when the command failed, 2 on a usage error.
 */
import { z } from 'zod';
import { connectionEnv, loadConfig } from '@voc/config';
import { connectNats } from '@voc/messaging';
import { createLogger } from '@voc/service-kit';
import { parseArgs, run, USAGE, UsageError } from './cli';

async function main(): Promise<number> {
  let command;
  try {
    command = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`${err.message}\n\n${USAGE}`);
    return 2;
  }
  const cfg = loadConfig('dlq', z.object({ NATS_URL: connectionEnv.NATS_URL, NATS_USER: connectionEnv.NATS_USER, NATS_PASSWORD: connectionEnv.NATS_PASSWORD }));
  // Silent: stdout is the command's output (--json goes to scripts); a failed connection throws.
  const log = createLogger('dlq-cli', 'silent');
  const nc = await connectNats({ url: cfg.NATS_URL, user: cfg.NATS_USER, password: cfg.NATS_PASSWORD, name: 'dlq-cli', log, waitOnFirstConnect: false });
  try {
    return await run(command, { js: nc.jetstream(), jsm: await nc.jetstreamManager() }, (line) => console.log(line));
  } finally {
    await nc.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`dlq: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
