/**
 * How long each outage lasts, and why: longer than the whole retry schedule
 * the code had when the suite was written, so that an outage spending a
 * message's delivery budget (or the LLM client's retries) shows as lost or
 * dead-lettered work. A fixed pipeline waits for the dependency however long
 * it is away, so only the old schedule sets the length.
 *
 * That schedule, as a model (the numbers are parameters, the formulas are
 * tested): a failed message is nak'ed with 1 s × 2^(delivery−1), at most
 * 60 s, +20 % jitter (libs/messaging runner), until its consumer's
 * max_deliver (INGEST 8, the others 5); a database attempt against a hung
 * PostgreSQL waits for the pool's 30 s connection timeout (@voc/db); an LLM
 * call makes 1 + LLM_MAX_RETRIES attempts of up to LLM_TIMEOUT_MS each with
 * backoff up to 1 s × 2^(retry−1) (at most 30 s) between them (@voc/llm).
 *
 * The CI schedule shortens the LLM's (LLM_TIMEOUT_MS 5 s, LLM_MAX_RETRIES 2),
 * because production's would need a 33-minute LLM outage; `--full` runs
 * production's LLM settings and outages long enough for every stage.
 */
import { QUEUES } from '@voc/messaging';

export interface RetryModel {
  nakBaseMs: number;
  nakCapMs: number;
  /** Upper jitter of a nak delay (0.2 = +20 %). */
  nakJitter: number;
  /** How long one database attempt waits on a hung PostgreSQL. */
  pgAttemptHungMs: number;
  llmTimeoutMs: number;
  llmMaxRetries: number;
  llmBackoffBaseMs: number;
  llmBackoffCapMs: number;
}

export const RETRY_MODEL: Omit<RetryModel, 'llmTimeoutMs' | 'llmMaxRetries'> = {
  nakBaseMs: 1000,
  nakCapMs: 60_000,
  nakJitter: 0.2,
  pgAttemptHungMs: 30_000,
  llmBackoffBaseMs: 1000,
  llmBackoffCapMs: 30_000,
};

/** The longest a message can keep failing before its deliveries run out: every attempt, and the longest nak delays between them. */
export function deliveryBudgetMs(maxDeliver: number, attemptMs: number, m: Pick<RetryModel, 'nakBaseMs' | 'nakCapMs' | 'nakJitter'>): number {
  let naks = 0;
  for (let d = 1; d < maxDeliver; d++) naks += Math.min(m.nakBaseMs * 2 ** (d - 1), m.nakCapMs) * (1 + m.nakJitter);
  return maxDeliver * attemptMs + naks;
}

/** The longest one LLM call can keep failing before the client gives up: every attempt timing out, and the longest backoffs. */
export function llmCallBudgetMs(m: Pick<RetryModel, 'llmTimeoutMs' | 'llmMaxRetries' | 'llmBackoffBaseMs' | 'llmBackoffCapMs'>): number {
  let backoff = 0;
  for (let r = 1; r <= m.llmMaxRetries; r++) backoff += Math.min(m.llmBackoffCapMs, m.llmBackoffBaseMs * 2 ** (r - 1));
  return (m.llmMaxRetries + 1) * m.llmTimeoutMs + backoff;
}

export interface Outage {
  ms: number;
  /** What it outlasts, for the README and the printed run. */
  why: string;
}

export interface Schedule {
  name: 'ci' | 'full';
  /** Given to every service (on top of the production defaults). */
  env: Record<string, string>;
  pgDown: Outage;
  pgHung: Outage;
  llmDown: Outage;
}

const MARGIN_MS = 7000;
const ceilS = (ms: number) => Math.ceil(ms / 1000) * 1000;

export function buildSchedule(full: boolean): Schedule {
  const llm = full ? { llmTimeoutMs: 60_000, llmMaxRetries: 5 } : { llmTimeoutMs: 5000, llmMaxRetries: 2 };
  const m: RetryModel = { ...RETRY_MODEL, ...llm };
  const ingest = QUEUES.INGEST.consumer.maxDeliver;
  const stage = QUEUES.TRANSLATE.consumer.maxDeliver;
  const s = (ms: number) => `${Math.round(ms / 1000)} s`;

  const downIngest = deliveryBudgetMs(ingest, 0, m);
  const hungStages = deliveryBudgetMs(stage, m.pgAttemptHungMs, m);
  const hungIngest = deliveryBudgetMs(ingest, m.pgAttemptHungMs, m);
  const call = llmCallBudgetMs(m);
  const llmMessage = deliveryBudgetMs(stage, call, m);
  const hung = full ? hungIngest : hungStages;
  return {
    name: full ? 'full' : 'ci',
    env: { LLM_TIMEOUT_MS: String(m.llmTimeoutMs), LLM_MAX_RETRIES: String(m.llmMaxRetries) },
    pgDown: {
      ms: ceilS(downIngest + MARGIN_MS),
      why: `INGEST's ${ingest} deliveries with their nak delays (${s(downIngest)}; the other stages' ${stage} last ${s(deliveryBudgetMs(stage, 0, m))})`,
    },
    pgHung: {
      ms: ceilS(hung + MARGIN_MS),
      why: full
        ? `INGEST's ${ingest} deliveries of a 30 s connection timeout each with their nak delays (${s(hungIngest)})`
        : `the stages' ${stage} deliveries of a 30 s connection timeout each with their nak delays (${s(hungStages)}; INGEST's ${ingest}: ${s(hungIngest)}, with --full)`,
    },
    llmDown: {
      ms: ceilS(llmMessage + MARGIN_MS),
      why:
        `${stage} deliveries of an LLM call that times out ${m.llmMaxRetries + 1} times (${s(call)} each with backoff) and their nak delays (${s(llmMessage)})` +
        (full ? '' : `; LLM_TIMEOUT_MS ${m.llmTimeoutMs} and LLM_MAX_RETRIES ${m.llmMaxRetries} stand for production's 60000 and 5, whose schedule --full outlasts`),
    },
  };
}
