/**
 * Per-model prices, per million tokens, from LLM_PRICES:
 * `model=prompt:completion[:cached]`, comma-separated, e.g.
 * `qwen-plus-latest=0.8:2.0:0.32`. The currency is whatever the numbers are
 * in; the project documents CNY (yuan), the unit of DashScope's China-region
 * price list. Cached prompt tokens (the provider's context cache) cost
 * `cached` when given, else the prompt price.
 */
export interface ModelPrice {
  prompt: number;
  completion: number;
  cached?: number;
}

export type PriceTable = Record<string, ModelPrice>;

export function parsePrices(text: string): PriceTable {
  const out: PriceTable = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([^=\s]+)\s*=\s*([0-9]*\.?[0-9]+)\s*:\s*([0-9]*\.?[0-9]+)(?:\s*:\s*([0-9]*\.?[0-9]+))?$/.exec(part);
    if (!m) throw new Error(`'${part}' is not model=prompt:completion[:cached] (prices per million tokens)`);
    out[m[1] as string] = { prompt: Number(m[2]), completion: Number(m[3]), ...(m[4] !== undefined ? { cached: Number(m[4]) } : {}) };
  }
  return out;
}

/** The cost of one call's usage; 0 for a model without a price. */
export function costOf(prices: PriceTable, model: string, u: { promptTokens: number; completionTokens: number; cachedTokens: number }): number {
  const p = prices[model];
  if (!p) return 0;
  const cached = Math.min(u.cachedTokens, u.promptTokens);
  return ((u.promptTokens - cached) * p.prompt + cached * (p.cached ?? p.prompt) + u.completionTokens * p.completion) / 1e6;
}
