/**
 * How a service's node process runs: the V8 flags and the allocator setting
 * that keep it under 150 MB RSS at its peak (issue 12 item 5). `npm start`
 * (libs/local-stack's startApp) and the compose files (infra/src/apps.ts)
 * both take them from here; `npm run bench:memory` measures each one.
 */
import type { ServiceName } from './services';

/**
 * glibc's malloc gives each thread that allocates its own arena (up to 8 per
 * core) and rarely returns their memory: V8's background compiler and GC
 * threads, libuv's pool and Prisma's query compiler each leave megabytes
 * behind in arenas of their own. Two arenas keep the contention low for a
 * process with one JavaScript thread.
 */
export const NODE_RUNTIME_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };

/** V8 flags of every service. */
const COMMON_FLAGS: readonly string[] = [];

/** The node/V8 flags `name` runs with (before its entry point). */
export function nodeFlagsOf(name: ServiceName): string[] {
  void name;
  return [...COMMON_FLAGS];
}
