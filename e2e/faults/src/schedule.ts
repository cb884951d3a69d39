/**
 * How long each outage lasts, and why: longer than the whole retry schedule
 * the code had when the suite was written, so that an outage spending a
 * message's delivery budget (or the LLM client's retries) shows as lost or
 * dead-lettered work. A pipeline that waits for the dependency however long
 * it is away passes any length, so only the old schedule sets the length.
 *
 * That schedule, as a model (numbers from the settings, formulas tested):
 * a failed message is nak'ed with the runner's delay (1 s the first time),
 * but on NATS 2.9 a consumer with `backoff` redelivers a nak'ed message
 * after its backoff step from the second failure on (measured with the
 * consumers' [30 s, 60 s, 120 s]: 32 s, 94 s, 100 s), until max_deliver
 * (INGEST 8, the others 5); a database attempt against a hung PostgreSQL
 * waits for the pool's 30 s connection timeout (@voc/db); an LLM call makes
 * 1 + LLM_MAX_RETRIES attempts of up to LLM_TIMEOUT_MS with backoff up to
 * 1 s × 2^(retry−1), at most 30 s, between them (@voc/llm).
 *
 * The CI schedule outlasts the stages' five deliveries; INGEST's eight take
 * nearly ten minutes, which only `--full` outlasts. It also shortens the
 * LLM's (LLM_TIMEOUT_MS 5 s, LLM_MAX_RETRIES 2) for the whole run: with
 * production's, an LLM call alone may take 6.5 minutes.
 */
import { QUEUES } from '@voc/messaging';

export interface RetryModel {
  /** The runner's delay after the first failure. */
  firstNakMs: number;
  /** The consumer's backoff steps: a nak'ed message's later redeliveries wait these (the last one repeats). */
  backoffMs: readonly number[];
  /** How long one database attempt waits on a hung PostgreSQL. */
  pgAttemptHungMs: number;
  llmTimeoutMs: number;
  llmMaxRetries: number;
  llmBackoffBaseMs: number;
  llmBackoffCapMs: number;
}

export const RETRY_MODEL: Omit<RetryModel, 'llmTimeoutMs' | 'llmMaxRetries'> = {
  firstNakMs: 1000,
  // Every work queue's consumer has the same steps (QUEUES); TRANSLATE's stand for them.
  backoffMs: QUEUES.TRANSLATE.consumer.backoffMs ?? [],
  pgAttemptHungMs: 30_000,
  llmBackoffBaseMs: 1000,
  llmBackoffCapMs: 30_000,
};

/** The longest a message keeps failing before its deliveries run out: every attempt, and the waits between them. */
export function deliveryBudgetMs(maxDeliver: number, attemptMs: number, m: Pick<RetryModel, 'firstNakMs' | 'backoffMs'>): number {
  let waits = 0;
  for (let d = 1; d < maxDeliver; d++) {
    waits += d === 1 || m.backoffMs.length === 0 ? m.firstNakMs : m.backoffMs[Math.min(d - 2, m.backoffMs.length - 1)]!;
  }
  return maxDeliver * attemptMs + waits;
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

const MARGIN_MS = 9000;
const ceilS = (ms: number) => Math.ceil(ms / 1000) * 1000;

export function buildSchedule(full: boolean): Schedule {
  const llm = full ? { llmTimeoutMs: 60_000, llmMaxRetries: 5 } : { llmTimeoutMs: 5000, llmMaxRetries: 2 };
  const m: RetryModel = { ...RETRY_MODEL, ...llm };
  const ingest = QUEUES.INGEST.consumer.maxDeliver;
  const stage = QUEUES.TRANSLATE.consumer.maxDeliver;
  const s = (ms: number) => `${Math.round(ms / 1000)} s`;

  const stages = deliveryBudgetMs(stage, 0, m);
  const ingestDown = deliveryBudgetMs(ingest, 0, m);
  const hungStages = deliveryBudgetMs(stage, m.pgAttemptHungMs, m);
  const hungIngest = deliveryBudgetMs(ingest, m.pgAttemptHungMs, m);
  // An LLM outage's fast failures (5xx, refused) cost a call its backoffs only; timeouts cost the whole call.
  const callFast = llmCallBudgetMs({ ...m, llmTimeoutMs: 0 });
  const llmFast = deliveryBudgetMs(stage, callFast, m);
  const llmSlow = deliveryBudgetMs(stage, llmCallBudgetMs(m), m);
  return {
    name: full ? 'full' : 'ci',
    env: { LLM_TIMEOUT_MS: String(m.llmTimeoutMs), LLM_MAX_RETRIES: String(m.llmMaxRetries) },
    pgDown: full
      ? { ms: ceilS(ingestDown + MARGIN_MS), why: `INGEST's ${ingest} deliveries and the waits between them (${s(ingestDown)})` }
      : { ms: ceilS(stages + MARGIN_MS), why: `the stages' ${stage} deliveries and the waits between them (${s(stages)}; INGEST's ${ingest}: ${s(ingestDown)}, with --full)` },
    pgHung: full
      ? { ms: ceilS(hungIngest + MARGIN_MS), why: `INGEST's ${ingest} deliveries of a 30 s connection timeout each and the waits between them (${s(hungIngest)})` }
      : {
          ms: ceilS(stages + MARGIN_MS),
          why: `the stages' ${stage} deliveries and the waits between them (${s(stages)}; ${s(hungStages)} if every attempt waits out the 30 s connection timeout; INGEST's: ${s(hungIngest)}, with --full)`,
        },
    llmDown: full
      ? { ms: ceilS(llmSlow + MARGIN_MS), why: `${stage} deliveries of an LLM call that times out ${m.llmMaxRetries + 1} times and the waits between them (${s(llmSlow)})` }
      : {
          ms: ceilS(llmFast + MARGIN_MS),
          why:
            `${stage} deliveries of an LLM call failing ${m.llmMaxRetries + 1} times and the waits between them (${s(llmFast)}; ${s(llmSlow)} if every attempt timed out); ` +
            `LLM_TIMEOUT_MS ${m.llmTimeoutMs} and LLM_MAX_RETRIES ${m.llmMaxRetries} stand for production's 60000 and 5, whose schedule --full outlasts`,
        },
  };
}
