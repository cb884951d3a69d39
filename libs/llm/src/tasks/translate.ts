import type { LlmClient } from '../client';
import {
  LlmError,
  MalformedAnswerError,
  batchKey,
  buildTranslateBatchMessages,
  buildTranslateSingleMessages,
  parseTranslateBatchAnswer,
  parseTranslateSingleAnswer,
} from '@voc/prompts';
import { translateBatchMaxTokens, translateSingleMaxTokens } from '../tokens/max-tokens';
import { isInputRejected, requestOptions, settleAll, withMalformedRetry, type TaskOptions } from './common';

const TRANSLATION_TEMPERATURE = 0.3;

export interface TranslateSingleRequest extends TaskOptions {
  text: string;
  rating?: number;
}

/**
 * Translates one review with the few-shot prompt (VIP reviews, and the last
 * step of the batch fallback). A malformed answer is retried once, then
 * MalformedAnswerError. A blank text translates to '' without a call.
 */
export async function translateSingle(client: LlmClient, req: TranslateSingleRequest): Promise<string> {
  if (!req.text.trim()) return '';
  return withMalformedRetry(() => translateSingleOnce(client, req, req));
}

export interface TranslationItem<Id = string> {
  id: Id;
  text: string;
  /** Star rating, passed to the few-shot prompt when an item falls back to a single call. */
  rating?: number;
}

function assertUniqueIds<Id>(items: readonly TranslationItem<Id>[]): void {
  const ids = new Set<Id>();
  for (const item of items) {
    if (ids.has(item.id)) throw new TypeError(`duplicate translation item id ${String(item.id)}`);
    ids.add(item.id);
  }
}

/**
 * Translates items in ONE batch call ({"r1": …} in, the same keys out).
 * Throws MalformedAnswerError when the answer is not exactly one string per
 * input key; never returns a partial map.
 */
export async function translateBatch<Id>(client: LlmClient, items: readonly TranslationItem<Id>[], opts: TaskOptions = {}): Promise<Map<Id, string>> {
  assertUniqueIds(items);
  if (items.length === 0) return new Map();
  const input: Record<string, string> = {};
  items.forEach((item, i) => (input[batchKey(i)] = item.text));
  const { value } = await client.chatParsed(
    {
      kind: 'translate_batch',
      messages: buildTranslateBatchMessages(items.map((i) => i.text)),
      maxTokens: translateBatchMaxTokens(items.map((i) => i.text)),
      jsonMode: true,
      temperature: TRANSLATION_TEMPERATURE,
      ...requestOptions(opts),
    },
    (answer) => parseTranslateBatchAnswer(answer, input),
  );
  const out = new Map<Id, string>();
  items.forEach((item, i) => out.set(item.id, value[batchKey(i)] as string));
  return out;
}

export interface BatchTranslationFailure<Id> {
  id: Id;
  error: LlmError;
}

export interface BatchTranslationResult<Id> {
  /** Every translated item, in input order. */
  translations: Map<Id, string>;
  /** LLM calls made (each possibly retried by the client on transient errors). */
  calls: number;
  /** Batch answers rejected (malformed, incomplete, or input refused) and split in halves. */
  fallbacks: number;
  /** Items that could not be translated even alone; every input id is in exactly one of translations and failed. */
  failed: BatchTranslationFailure<Id>[];
}

/**
 * Seed 001's translate_batch_with_fallback. The batch is sent as one call; a
 * malformed or incomplete answer (or a 400 refusing the input) is discarded
 * whole and each half retried, recursively, down to single items, which use
 * the few-shot prompt (with one retry on a malformed answer). No translation
 * is ever taken from a rejected answer, so none can be dropped or assigned to
 * the wrong item.
 *
 * An item that still fails alone is returned in `failed` (the service marks
 * it and retries later) instead of throwing away its batch-mates' work.
 * Transport failures that outlive the client's retries (provider down, bad
 * key) are thrown: they concern every item, not one.
 */
export async function translateBatchWithFallback<Id>(
  client: LlmClient,
  items: readonly TranslationItem<Id>[],
  opts: TaskOptions = {},
): Promise<BatchTranslationResult<Id>> {
  assertUniqueIds(items);
  const done = new Map<Id, string>();
  const failedById = new Map<Id, LlmError>();
  let calls = 0;
  let fallbacks = 0;

  const translateOne = async (item: TranslationItem<Id>): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      calls++;
      try {
        const text = await translateSingleOnce(client, item, opts);
        done.set(item.id, text);
        return;
      } catch (err) {
        if (err instanceof MalformedAnswerError && attempt < 2) continue;
        if (!(err instanceof MalformedAnswerError) && !isInputRejected(err)) throw err;
        failedById.set(item.id, err);
        return;
      }
    }
  };

  const translateGroup = async (group: readonly TranslationItem<Id>[]): Promise<void> => {
    if (group.length === 0) return;
    const [first] = group;
    if (group.length === 1 && first) return translateOne(first);
    calls++;
    let result: Map<Id, string>;
    try {
      result = await translateBatch(client, group, opts);
    } catch (err) {
      if (!(err instanceof MalformedAnswerError) && !isInputRejected(err)) throw err;
      fallbacks++;
      const mid = Math.ceil(group.length / 2);
      await settleAll([translateGroup(group.slice(0, mid)), translateGroup(group.slice(mid))]);
      return;
    }
    for (const [id, text] of result) done.set(id, text);
  };

  for (const item of items) if (!item.text.trim()) done.set(item.id, '');
  await translateGroup(items.filter((i) => i.text.trim()));

  const translations = new Map<Id, string>();
  const failed: BatchTranslationFailure<Id>[] = [];
  for (const item of items) {
    const text = done.get(item.id);
    if (text !== undefined) translations.set(item.id, text);
    else failed.push({ id: item.id, error: failedById.get(item.id) as LlmError });
  }
  return { translations, calls, fallbacks, failed };
}

/** One few-shot call, without the malformed retry (callers decide). */
async function translateSingleOnce(client: LlmClient, item: { text: string; rating?: number }, opts: TaskOptions): Promise<string> {
  const { value } = await client.chatParsed(
    {
      kind: 'translate_single',
      messages: buildTranslateSingleMessages({ text: item.text, ...(item.rating !== undefined ? { rating: item.rating } : {}) }),
      maxTokens: translateSingleMaxTokens(item.text),
      temperature: TRANSLATION_TEMPERATURE,
      ...requestOptions(opts),
    },
    parseTranslateSingleAnswer,
  );
  return value;
}

export interface TranslateBulletPointsRequest extends TaskOptions {
  bulletPoints: readonly string[];
}

/** Translates a product's bullet points (one batch, with the same fallback); throws if any cannot be translated. */
export async function translateBulletPoints(client: LlmClient, req: TranslateBulletPointsRequest): Promise<string[]> {
  const items = req.bulletPoints.map((text, id) => ({ id, text }));
  const { translations, failed } = await translateBatchWithFallback(client, items, req);
  const [firstFailure] = failed;
  if (firstFailure) throw firstFailure.error;
  return items.map((i) => translations.get(i.id) as string);
}
