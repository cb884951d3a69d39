/**
 * `npm run doctor -- --host server-a`: checks this host before (and after) a
 * deployment. Prints a table (check, status, detail) and exits 1 when a
 * check failed.
 *
 *   --host <server-a|server-b|worker>  the role of this host (required)
 *   --env-file <path>                  default infra/<role>/.env (the process environment wins over it, as in compose)
 *   --llm-call                         also send one tiny chat completion
 *   --timeout <ms>                     per network operation (default 5000)
 *   --strict                           warnings fail too
 *   --json                             the results as JSON instead of the table
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DEPLOY_ROLES, type DeployRole } from '@voc/config';
import { runDoctor } from './doctor';
import { mergeEnvironment, parseEnvFile } from './env-file';
import { exitCode, renderTable, summary, warn, type CheckResult } from './report';

const ROOT = path.resolve(__dirname, '../../..');

export interface CliOptions {
  role: DeployRole;
  envFile?: string;
  llmCall: boolean;
  timeoutMs: number;
  strict: boolean;
  json: boolean;
}

export class UsageError extends Error {}

export function parseArgs(argv: readonly string[]): CliOptions {
  const o: Partial<CliOptions> = { llmCall: false, timeoutMs: 5000, strict: false, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${a} needs a value`);
      return v;
    };
    switch (a) {
      case '--host': {
        const role = value();
        if (!(DEPLOY_ROLES as readonly string[]).includes(role)) throw new UsageError(`--host: expected ${DEPLOY_ROLES.join(', ')}, got '${role}'`);
        o.role = role as DeployRole;
        break;
      }
      case '--env-file':
        o.envFile = value();
        break;
      case '--llm-call':
        o.llmCall = true;
        break;
      case '--timeout': {
        const ms = Number(value());
        if (!Number.isInteger(ms) || ms <= 0) throw new UsageError('--timeout: expected milliseconds');
        o.timeoutMs = ms;
        break;
      }
      case '--strict':
        o.strict = true;
        break;
      case '--json':
        o.json = true;
        break;
      default:
        throw new UsageError(`unknown argument '${a}'`);
    }
  }
  if (!o.role) throw new UsageError(`--host is required (${DEPLOY_ROLES.join(', ')})`);
  return o as CliOptions;
}

async function main(): Promise<number> {
  let opts: CliOptions;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`doctor: ${err.message}\nusage: npm run doctor -- --host <${DEPLOY_ROLES.join('|')}> [--env-file PATH] [--llm-call] [--timeout MS] [--strict] [--json]`);
    return 2;
  }
  const envFile = path.resolve(opts.envFile ?? path.join(ROOT, 'infra', opts.role, '.env'));
  const pre: CheckResult[] = [];
  let fileVars: Record<string, string> = {};
  if (existsSync(envFile)) fileVars = parseEnvFile(readFileSync(envFile, 'utf8'), envFile);
  else if (opts.envFile) throw new Error(`--env-file ${opts.envFile}: no such file`);
  else pre.push(warn('env file', `${path.relative(ROOT, envFile)} not found: only the process environment is checked`));

  const results = [...pre, ...(await runDoctor({ role: opts.role, vars: mergeEnvironment(fileVars, process.env), llmCall: opts.llmCall, timeoutMs: opts.timeoutMs }))];
  if (opts.json) {
    console.log(JSON.stringify({ host: opts.role, envFile, results }, null, 2));
  } else {
    console.log(`voc doctor: host ${opts.role}, ${existsSync(envFile) ? path.relative(process.cwd(), envFile) : 'no env file'}\n`);
    console.log(renderTable(results, process.stdout.columns || 120));
    console.log(`\n${summary(results)}`);
  }
  return exitCode(results, opts.strict);
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(`doctor: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(2);
    },
  );
}
