/** A key's fleet-wide limits: requests per second and tokens per minute (0: no token limit). */
export interface KeyLimit {
  rps: number;
  tpm: number;
}

/**
 * Limits per model at 80 % of the account's (seed 000 runs requests at 200
 * of 250). Sources, read in 2026 (README: Default limits):
 * - qwen-plus-latest: 15,000 RPM = 250 RPS (seed 000) and 1,200,000 TPM
 *   (the table seed 000 was written against) → 200 RPS, 960,000 TPM.
 * - qwen3-max: 600 RPM and 1,000,000 TPM (Alibaba Cloud Model Studio, "Rate
 *   limits") → 8 RPS, 800,000 TPM.
 * Limits are per model for the whole account (every key and workspace), so
 * check the console of the account in use and set MAX_API_RPS / MAX_API_TPM.
 */
export const DEFAULT_MODEL_LIMITS: Readonly<Record<string, Readonly<KeyLimit>>> = Object.freeze({
  'qwen-plus-latest': Object.freeze({ rps: 200, tpm: 960_000 }),
  'qwen3-max': Object.freeze({ rps: 8, tpm: 800_000 }),
});

/** A model without a known default: the seed's request limit, and no token limit (none is known). */
export const UNKNOWN_MODEL_LIMIT: Readonly<KeyLimit> = Object.freeze({ rps: 200, tpm: 0 });

/** Parses "qwen3-max=8:800000, other=20" (model=rps[:tpm]); a missing tpm is undefined (the model's default applies). */
export function parseModelLimits(text: string): Record<string, { rps: number; tpm?: number }> {
  const limits: Record<string, { rps: number; tpm?: number }> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([^=\s]+)\s*=\s*([0-9]*\.?[0-9]+)(?:\s*:\s*([0-9]+))?$/.exec(part);
    const rps = m ? Number(m[2]) : NaN;
    if (!m || !(rps > 0)) throw new Error(`'${part}' is not model=rps[:tpm] with rps > 0 and tpm >= 0`);
    limits[m[1] as string] = m[3] === undefined ? { rps } : { rps, tpm: Number(m[3]) };
  }
  return limits;
}
