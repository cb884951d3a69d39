import { env, loadConfig } from '@voc/config';
import { z } from 'zod';
import { DEFAULT_CALL_SLOTS, SLOT_ORDERS, type SlotOrder } from './concurrency';
import { parsePrices, type PriceTable } from './pricing';

/** LLM_SEND_THREAD's default: on (issue 12; see SendThread and the README's figures). */
export const DEFAULT_SEND_THREAD = true;

/** The placeholder key, accepted only when the LLM is on this machine (the simulator). */
export const SIM_API_KEY = 'sim-key';

export interface LlmConfig {
  baseUrl: string;
  apiKey: string;
  model: string;
  timeoutMs: number;
  maxRetries: number;
  /** LLM_PRICES: per-model prices per million tokens (CNY), for usage cost. */
  prices: PriceTable;
  /** LLM_HALT_PROBE_MS: while the account refuses calls (403), one probe call fleet-wide per this interval. */
  haltProbeEveryMs: number;
  /** LLM_MIN_IN_FLIGHT / LLM_MAX_IN_FLIGHT: the bounds of the process's self-sized open calls (CallSlots). */
  inFlight: { floor: number; ceiling: number };
  /** LLM_SLOT_ORDER: which waiting call gets a free slot: a product's first ('product') or first come ('arrival'). */
  slotOrder: SlotOrder;
  /** LLM_SEND_THREAD: requests leave at their slot's time from a thread of their own (SendThread), not from the event loop. */
  sendThread: boolean;
}

export function isLoopbackUrl(url: string): boolean {
  try {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
  } catch {
    return false;
  }
}

const schema = z
  .object({
    LLM_BASE_URL: env.url(['http', 'https'], 'http://127.0.0.1:8090/v1'),
    LLM_API_KEY: z.string().min(1).optional(),
    LLM_MODEL: env.str('qwen-plus-latest'),
    LLM_TIMEOUT_MS: env.int(60_000, 100),
    LLM_MAX_RETRIES: env.int(5, 0, 50),
    LLM_HALT_PROBE_MS: env.int(60_000, 100),
    LLM_MIN_IN_FLIGHT: env.int(DEFAULT_CALL_SLOTS.floor, 1, 10_000),
    LLM_MAX_IN_FLIGHT: env.int(DEFAULT_CALL_SLOTS.ceiling, 1, 10_000),
    LLM_SEND_THREAD: env.bool(DEFAULT_SEND_THREAD),
    LLM_SLOT_ORDER: z.enum(SLOT_ORDERS, { message: `expected ${SLOT_ORDERS.join(' or ')}` }).default(DEFAULT_CALL_SLOTS.order),
    LLM_PRICES: z
      .string()
      .optional()
      .transform((v, ctx) => {
        try {
          return v === undefined ? {} : parsePrices(v);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: `${(err as Error).message} (expected e.g. "qwen-plus-latest=0.8:2:0.32")` });
          return z.NEVER;
        }
      }),
  })
  .superRefine((v, ctx) => {
    if (v.LLM_MAX_IN_FLIGHT < v.LLM_MIN_IN_FLIGHT) {
      ctx.addIssue({ code: 'custom', path: ['LLM_MAX_IN_FLIGHT'], message: `must be >= LLM_MIN_IN_FLIGHT (${v.LLM_MIN_IN_FLIGHT}), got ${v.LLM_MAX_IN_FLIGHT}` });
    }
    // A forgotten key must not silently send the placeholder to a real provider.
    if (v.LLM_API_KEY === undefined && !isLoopbackUrl(v.LLM_BASE_URL)) {
      ctx.addIssue({
        code: 'custom',
        path: ['LLM_API_KEY'],
        message: `required when LLM_BASE_URL (${v.LLM_BASE_URL}) is not a loopback address`,
      });
    }
  });

/** LLM settings from the environment (LLM_BASE_URL, LLM_API_KEY, LLM_MODEL, LLM_TIMEOUT_MS, LLM_MAX_RETRIES, LLM_PRICES, LLM_MIN_IN_FLIGHT, LLM_MAX_IN_FLIGHT, LLM_SLOT_ORDER, LLM_SEND_THREAD). */
export function llmConfigFromEnv(source: NodeJS.ProcessEnv = process.env, service = 'llm'): LlmConfig {
  const c = loadConfig(service, schema, source);
  return {
    baseUrl: c.LLM_BASE_URL,
    apiKey: c.LLM_API_KEY ?? SIM_API_KEY,
    model: c.LLM_MODEL,
    timeoutMs: c.LLM_TIMEOUT_MS,
    maxRetries: c.LLM_MAX_RETRIES,
    prices: c.LLM_PRICES,
    haltProbeEveryMs: c.LLM_HALT_PROBE_MS,
    inFlight: { floor: c.LLM_MIN_IN_FLIGHT, ceiling: c.LLM_MAX_IN_FLIGHT },
    slotOrder: c.LLM_SLOT_ORDER,
    sendThread: c.LLM_SEND_THREAD,
  };
}
