/**
 * How a service's node process runs: the V8 flags and the allocator setting
 * that keep it under 150 MB RSS at its peak (issue 12 item 5). `npm start`
 * (libs/local-stack's startApp) and the compose files (infra/src/apps.ts)
 * both take them from here; `npm run bench:memory` measures each one.
 */
import { cpuClassOf, type ServiceName } from './services';

/**
 * glibc's malloc gives each thread that allocates its own arena (up to 8 per
 * core) and rarely returns their memory: V8's background compiler and GC
 * threads, libuv's pool and Prisma's query compiler each leave megabytes
 * behind in arenas of their own. Two arenas keep the contention low for a
 * process with one JavaScript thread.
 */
export const NODE_RUNTIME_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };

/**
 * V8 flags of every service.
 * --liftoff-only: Prisma 7's query compiler is a 3.4 MB WebAssembly module;
 *   V8 compiles it with its baseline compiler (Liftoff) and then re-compiles
 *   the hot functions with TurboFan, whose compile zones and code left
 *   ~60 MB resident in every process. Liftoff code runs slower, but the
 *   compiler's work per query is microseconds against the query's
 *   milliseconds in PostgreSQL.
 * --max-semi-space-size=2 (MB): under load V8 grew the young generation to
 *   its 16 MB semi-spaces (~48 MB); these services allocate short-lived
 *   JSON and keep little, so small semi-spaces cost more frequent but cheap
 *   scavenges.
 */
const COMMON_FLAGS: readonly string[] = ['--liftoff-only', '--max-semi-space-size=2'];

/**
 * V8 flags of the batch class (cpu-class.ts: the workers and llm-sim, not the
 * gateway on the upload path). --optimize-for-size: V8 favours memory over
 * speed (less inlining, a smaller heap growing factor, code flushed sooner);
 * their messages wait seconds on the LLM, a little more CPU costs them
 * nothing an upload would feel.
 */
const BATCH_FLAGS: readonly string[] = ['--optimize-for-size'];

/**
 * V8 flags of the interactive class (the gateway).
 * --heap-growing-percent=50: after a full GC V8 lets the old generation grow
 *   to 1.5 × what the GC kept before the next one (by default up to 4 × for a
 *   process whose GCs are fast). The gateway keeps ~35 MB; everything else it
 *   allocates is short-lived, but with 2 MB semi-spaces a request's objects
 *   that outlive two scavenges (its Prisma queries, the upload being
 *   published) are promoted and die in old space. With progress read once a
 *   second per product during uploads, old space reached 60–103 MB at the
 *   peak (`npm run bench:memory`), 153–197 MB RSS; with 1.5 × it stays at
 *   ~40 MB and the RSS at ~133 MB. The cost is more frequent full GCs, each
 *   marked concurrently (a few ms on the main thread each); its effect on
 *   bench:gateway's upload latency is not measured yet. Not for the batch class:
 *   --optimize-for-size already caps V8's growing factor, and with this
 *   flag added insight-svc peaked at 146 MB instead of 133 MB (one run).
 */
const INTERACTIVE_FLAGS: readonly string[] = ['--heap-growing-percent=50'];

/** The node/V8 flags `name` runs with (before its entry point). */
export function nodeFlagsOf(name: ServiceName): string[] {
  return [...COMMON_FLAGS, ...(cpuClassOf(name).cpuClass === 'batch' ? BATCH_FLAGS : INTERACTIVE_FLAGS)];
}
