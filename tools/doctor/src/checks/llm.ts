/**
 * The LLM endpoint: GET {LLM_BASE_URL}/models with the key (is the model
 * there?) and, with --llm-call, one tiny chat completion, which proves the
 * key on providers whose /models is public. That one request bypasses the
 * fleet's limiter: it is a single call, not a load.
 */
import { fail, ok, warn, type CheckResult } from '../report';
import type { Targets } from '../targets';

const base = (url: string) => url.replace(/\/+$/, '');

function authHeaders(apiKey: string | undefined): Record<string, string> {
  return apiKey ? { Authorization: `Bearer ${apiKey}` } : {};
}

async function bodySnippet(res: Response): Promise<string> {
  return (await res.text()).replace(/\s+/g, ' ').slice(0, 200);
}

export async function checkLlm(t: Targets['llm'], opts: { call: boolean; timeoutMs: number }): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const url = `${base(t.baseUrl)}/models`;
  try {
    const res = await fetch(url, { headers: authHeaders(t.apiKey), signal: AbortSignal.timeout(opts.timeoutMs) });
    if (res.status === 401 || res.status === 403) results.push(fail('llm models', `${url}: ${res.status}, the key was refused: ${await bodySnippet(res)}`));
    else if (!res.ok) results.push(fail('llm models', `${url}: HTTP ${res.status}: ${await bodySnippet(res)}`));
    else {
      const body = (await res.json()) as { data?: { id?: string }[] };
      const ids = (body.data ?? []).map((m) => m.id).filter((id): id is string => typeof id === 'string');
      if (ids.includes(t.model)) results.push(ok('llm models', `${url}: ${t.model} available (${ids.length} models)`));
      else results.push(warn('llm models', `${url}: ${t.model} not among the ${ids.length} models listed (${ids.slice(0, 5).join(', ')}…)`));
    }
  } catch (err) {
    results.push(fail('llm models', `${url}: ${(err as Error).message}`));
  }
  if (!opts.call) return results;

  const chat = `${base(t.baseUrl)}/chat/completions`;
  const started = Date.now();
  try {
    const res = await fetch(chat, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...authHeaders(t.apiKey) },
      body: JSON.stringify({ model: t.model, messages: [{ role: 'user', content: 'Reply with OK.' }], max_tokens: 1 }),
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
    const ms = Date.now() - started;
    if (res.ok) results.push(ok('llm call', `${t.model} answered in ${ms} ms`));
    else if (res.status === 429) results.push(warn('llm call', `429 rate limited: the key works, the account is busy (${await bodySnippet(res)})`));
    else if (res.status === 401 || res.status === 403) results.push(fail('llm call', `${res.status}, the key was refused: ${await bodySnippet(res)}`));
    else results.push(fail('llm call', `HTTP ${res.status}: ${await bodySnippet(res)}`));
  } catch (err) {
    results.push(fail('llm call', `${chat}: ${(err as Error).message}`));
  }
  return results;
}
