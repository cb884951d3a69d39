/** The command line of `npm run test:faults`. */
import { parseArgs } from 'node:util';

export interface RunOptions {
  /** Scenario ids to run (all when empty). */
  only: string[];
  seed: number;
  /** Production's LLM settings and outages long enough for every stage's old schedule (tens of minutes). */
  full: boolean;
  /** Keep the services' logs (under .voc/faults/) even when every scenario passed. */
  keepLogs: boolean;
  list: boolean;
}

export const USAGE = `npm run test:faults [-- options]
  --only a,b      run only these scenarios (--list shows their ids)
  --seed N        replay the random fault points of an earlier run (each run prints its seed)
  --full          production's LLM timeout and retries, outages outlasting every stage's schedule (about an hour)
  --keep-logs     keep the services' logs under .voc/faults/ (kept anyway when a scenario fails)
  --list          list the scenarios and exit`;

export function parseOptions(argv: string[], knownIds: readonly string[], randomSeed: () => number): RunOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      only: { type: 'string' },
      seed: { type: 'string' },
      full: { type: 'boolean' },
      'keep-logs': { type: 'boolean' },
      list: { type: 'boolean' },
    },
    strict: true,
  });
  const only = (values.only ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = only.filter((id) => !knownIds.includes(id));
  if (unknown.length) throw new Error(`--only: unknown scenario ${unknown.join(', ')} (known: ${knownIds.join(', ')})`);
  const seed = values.seed === undefined ? randomSeed() : Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`--seed: expected an integer 0..4294967295, got ${values.seed}`);
  return { only, seed, full: values.full ?? false, keepLogs: values['keep-logs'] ?? false, list: values.list ?? false };
}
