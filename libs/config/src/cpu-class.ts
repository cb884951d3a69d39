/**
 * CPU classes: which processes get a core first when the machine is busy.
 *
 * An upload is answered once NATS has stored it, after one Redis call for the
 * key's rate limit: the gateway, NATS and Redis are the upload path and wait
 * on nothing else. The batch workers (and llm-sim, a stand-in for a remote
 * provider) can keep every core busy for minutes; each of their messages
 * takes seconds anyway, so a few milliseconds more cost them nothing, while
 * the same milliseconds queued behind them are most of an upload's latency
 * (bench:gateway). So the batch class yields: `npm start` lowers those
 * processes' priority (nice; lowering needs no root), compose gives their
 * containers a smaller CPU weight (cpu_shares). Both only matter when the
 * cores are contended: an idle machine gives the batch class all of them.
 */

export type CpuClass = 'interactive' | 'batch';

export interface CpuClassSettings {
  /** Niceness of the process (`npm start`): 0 is the default, higher yields. */
  nice: number;
  /** Docker's relative CPU weight (1024 is the default, the weight of nice 0). */
  cpuShares: number;
}

export const CPU_CLASSES: Readonly<Record<CpuClass, CpuClassSettings>> = {
  interactive: { nice: 0, cpuShares: 1024 },
  // nice 10 weighs 110 against nice 0's 1024 in the kernel's scheduler; 128 is the same ratio for containers.
  batch: { nice: 10, cpuShares: 128 },
};

/**
 * The servers the services use, by class. NATS and Redis are on the upload
 * path. PostgreSQL is not (the gateway writes its upload records off the
 * path, in batches) but is kept interactive: the status and report reads
 * wait on it, and the batch workers' writes are held back already by their
 * own priority (their queries are small; the work is in the workers).
 */
export const SERVER_CPU_CLASSES = {
  nats: 'interactive',
  redis: 'interactive',
  postgres: 'interactive',
  // The deployment's load balancer: every upload passes through it.
  haproxy: 'interactive',
} as const satisfies Record<string, CpuClass>;

export type ServerName = keyof typeof SERVER_CPU_CLASSES;
