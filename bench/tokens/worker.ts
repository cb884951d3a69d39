/**
 * One fleet process of the tokens bench: the real LLM client through the real
 * Redis limiter (two-dimensional, or requests only), M callers sending the
 * project's real prompts (translations, insights, themes of real reviews) to
 * llm-sim for T seconds. Reports its counts to the parent (run.ts) over IPC.
 */
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { createLlmClient, extractInsights, extractThemes, translateBatchWithFallback, type LlmClient } from '@voc/llm';
import { createRateLimiter } from '@voc/rate-limiter';

export interface TokensTask {
  redisUrl: string;
  baseUrl: string;
  key: string;
  rps: number;
  /** 0: today's request-only limiter. */
  tpm: number;
  rampMs: number;
  callers: number;
  seconds: number;
  /** Real review bodies (this process's share). */
  reviews: { body: string; rating: number }[];
  worker: number;
}

export interface TokensWorkerResult {
  ok: number;
  failed: number;
  /** Tokens the limiter granted, as settled (prompt count + max_tokens). */
  settledTokens: number;
  pauses: number;
  errors: string[];
}

const DIMENSIONS = [
  { name: '产品质量', description: '做工、材质与是否有缺陷' },
  { name: '电池续航', description: '充电速度与一次充电可用时长' },
  { name: '性价比', description: '价格与所得价值是否相称' },
  { name: '易用性', description: '安装、上手和日常操作是否方便' },
  { name: '外观设计', description: '外形、颜色与尺寸观感' },
  { name: '功能性能', description: '核心功能是否达到预期' },
];
const LABELS = {
  who: [{ name: '宝妈宝爸', description: '为孩子或家庭购买使用的父母' }, { name: '上班族', description: '通勤或办公场景的职场人士' }],
  when: [{ name: '日常使用', description: '每天的常规使用' }, { name: '节日送礼', description: '作为节日或生日礼物' }],
  where: [{ name: '家中', description: '在家里使用' }, { name: '办公室', description: '在办公场所使用' }],
  what: [{ name: '娱乐休闲', description: '用于娱乐放松' }, { name: '替换旧品', description: '替换坏掉或旧的同类产品' }],
  why: [{ name: '价格实惠', description: '因价格便宜而购买' }, { name: '好评推荐', description: '因评价或他人推荐而购买' }],
};

/** The pipeline's mix of calls: a translation batch (5 reviews), then an insight and a theme call per review. */
async function oneUnit(llm: LlmClient, reviews: { body: string; rating: number }[], i: number): Promise<number> {
  const step = i % 3;
  const r = reviews[i % reviews.length]!;
  if (step === 0) {
    const batch = Array.from({ length: 5 }, (_, k) => reviews[(i + k) % reviews.length]!).map((x, k) => ({ id: k, text: x.body, rating: x.rating }));
    const res = await translateBatchWithFallback(llm, batch);
    return res.calls;
  }
  if (step === 1) await extractInsights(llm, { review: r.body, rating: r.rating, dimensions: DIMENSIONS, asin: 'BENCHTOKENS' });
  else await extractThemes(llm, { review: r.body, rating: r.rating, labels: LABELS, asin: 'BENCHTOKENS' });
  return 1;
}

/** Resolves on the parent's 'go', so every process starts its clock together (forking tsx takes seconds under load). */
function ready(): Promise<number> {
  return new Promise((resolve) => {
    process.once('message', (m: { go: number }) => resolve(m.go));
    process.send?.({ ready: true });
  });
}

async function main(task: TokensTask): Promise<TokensWorkerResult> {
  const redis = new Redis(task.redisUrl);
  const registry = new Registry();
  const limiter = createRateLimiter({ redis, key: task.key, rps: task.rps, tpm: task.tpm, rampMs: task.rampMs, registry });
  let settledTokens = 0;
  const llm = createLlmClient({
    baseUrl: task.baseUrl,
    apiKey: 'sim-key',
    model: 'qwen-plus-latest',
    limiter: {
      acquire: async (o) => {
        const g = await limiter.acquire(o);
        return { tokens: g.tokens, probe: g.probe, settle: (n) => ((settledTokens += n), g.settle(n)), cancel: () => g.cancel() };
      },
      pause: (ms, o) => limiter.pause(ms, o),
      halt: (reason, o) => limiter.halt(reason, o),
      resume: (reason) => limiter.resume(reason),
    },
    service: 'bench',
    registry,
    maxRetries: 30,
    timeoutMs: 60_000,
  });
  const start = await ready();
  const end = start + task.seconds * 1000;
  const out: TokensWorkerResult = { ok: 0, failed: 0, settledTokens: 0, pauses: 0, errors: [] };
  let next = task.worker * 7919;
  await Promise.all(
    Array.from({ length: task.callers }, async () => {
      while (Date.now() < end) {
        try {
          const calls = await oneUnit(llm, task.reviews, next++);
          out.ok += calls;
        } catch (err) {
          out.failed++;
          if (out.errors.length < 5) out.errors.push(err instanceof Error ? err.message : String(err));
        }
      }
    }),
  );
  out.settledTokens = settledTokens;
  const metrics = await registry.getMetricsAsJSON();
  out.pauses = metrics.find((m) => m.name === 'llm_throttled_total')?.values.reduce((n, v) => n + v.value, 0) ?? 0;
  await limiter.close();
  redis.disconnect();
  return out;
}

process.once('message', (task: TokensTask) => {
  main(task).then(
    (r) => process.send?.(r, () => process.exit(0)),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
});
