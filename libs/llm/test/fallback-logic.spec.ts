import { MalformedAnswerError, readTranslateBatchRequest, readTranslateSingleRequest } from '@voc/prompts';
import { translateBatchWithFallback, type LlmClient } from '../src';
import type { ChatRequest, ChatResult, ParsedChatResult } from '../src/client';
import { LlmRequestError } from '../src/errors';

/**
 * A scripted LlmClient for the fallback algorithm's edge cases that the
 * simulator cannot produce on demand (a provider refusing one input with 400).
 * Translations are "T(<text>)"; texts containing BAD are refused, texts
 * containing MESSY make any batch answer lose a key.
 */
class ScriptedClient implements LlmClient {
  readonly model = 'scripted';
  readonly service = 'test';
  readonly log: { kind: string; size: number }[] = [];

  async chat(): Promise<ChatResult> {
    throw new Error('not used');
  }

  async chatParsed<T>(req: ChatRequest, parse: (content: string) => T): Promise<ParsedChatResult<T>> {
    const refuse = () => new LlmRequestError('400 data_inspection_failed', { kind: req.kind }, 'client_error', 400, false);
    let content: string;
    if (req.kind === 'translate_batch') {
      const input = readTranslateBatchRequest(req.messages);
      this.log.push({ kind: req.kind, size: Object.keys(input).length });
      if (Object.values(input).some((t) => t.includes('BAD'))) throw refuse();
      const out = Object.fromEntries(Object.entries(input).map(([k, t]) => [k, `T(${t})`]));
      if (Object.values(input).some((t) => t.includes('MESSY'))) delete out.r1;
      content = JSON.stringify(out);
    } else {
      const { text } = readTranslateSingleRequest(req.messages);
      this.log.push({ kind: req.kind, size: 1 });
      if (text.includes('BAD')) throw refuse();
      content = `T(${text})`;
    }
    const value = parse(content);
    return { content, finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2, cachedTokens: 0 }, model: this.model, attempts: 1, value };
  }
}

describe('translateBatchWithFallback (algorithm)', () => {
  const items = (texts: string[]) => texts.map((text, i) => ({ id: `id${i}`, text }));

  it('translates a clean batch in one call, keeping input order', async () => {
    const client = new ScriptedClient();
    const res = await translateBatchWithFallback(client, items(['a', 'b', 'c']));
    expect([...res.translations]).toEqual([['id0', 'T(a)'], ['id1', 'T(b)'], ['id2', 'T(c)']]);
    expect(res).toMatchObject({ calls: 1, fallbacks: 0, failed: [] });
  });

  it('isolates an input the provider refuses (400) and returns it in failed, translating the rest', async () => {
    const client = new ScriptedClient();
    const texts = ['a', 'b', 'BAD c', 'd', 'e', 'f', 'g', 'h'];
    const res = await translateBatchWithFallback(client, items(texts));
    expect(res.failed.map((f) => f.id)).toEqual(['id2']);
    expect(res.failed[0]!.error).toBeInstanceOf(LlmRequestError);
    expect(res.translations.size).toBe(7);
    for (const [i, t] of texts.entries()) if (i !== 2) expect(res.translations.get(`id${i}`)).toBe(`T(${t})`);
    // 8 → 4+4 → 2+2 → 1+1: three splits on the way down to the refused item.
    expect(res.fallbacks).toBe(3);
    expect(client.log.filter((l) => l.kind === 'translate_single')).toHaveLength(2);
  });

  it('splits an incomplete answer down to single few-shot calls and never takes a value from it', async () => {
    const client = new ScriptedClient();
    const res = await translateBatchWithFallback(client, items(['MESSY a', 'b', 'c']));
    expect(res.failed).toEqual([]);
    expect(res.translations.get('id0')).toBe('T(MESSY a)');
    expect(res.translations.get('id1')).toBe('T(b)');
    expect(res.fallbacks).toBeGreaterThanOrEqual(1);
    expect(client.log.some((l) => l.kind === 'translate_single')).toBe(true);
  });

  it('answers blank texts with "" without a call, and refuses duplicate ids', async () => {
    const client = new ScriptedClient();
    const res = await translateBatchWithFallback(client, [{ id: 1, text: '  ' }, { id: 2, text: 'x' }]);
    expect([...res.translations]).toEqual([[1, ''], [2, 'T(x)']]);
    expect(client.log).toEqual([{ kind: 'translate_single', size: 1 }]);
    await expect(translateBatchWithFallback(client, [{ id: 1, text: 'a' }, { id: 1, text: 'b' }])).rejects.toThrow(/duplicate/);
  });

  it('throws transport failures that concern every item', async () => {
    const client = new ScriptedClient();
    client.chatParsed = async (req) => {
      throw new LlmRequestError('401 bad key', { kind: req.kind }, 'client_error', 401, false);
    };
    await expect(translateBatchWithFallback(client, items(['a', 'b']))).rejects.toMatchObject({ status: 401 });
  });

  it('keeps MalformedAnswerError for a single item that stays malformed (after one retry)', async () => {
    const client = new ScriptedClient();
    let singles = 0;
    client.chatParsed = async (req) => {
      singles++;
      throw new MalformedAnswerError({ kind: req.kind }, ['empty translation'], '');
    };
    const res = await translateBatchWithFallback(client, items(['a']));
    expect(singles).toBe(2);
    expect(res.calls).toBe(2);
    expect(res.failed).toHaveLength(1);
    expect(res.failed[0]!.error).toBeInstanceOf(MalformedAnswerError);
  });
});
