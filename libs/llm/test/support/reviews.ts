import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../../..');

/** The real review bodies: ../shared/data/reviews-dev.jsonl (20,000) when present, else the 498 shipped in data/. */
export function realReviews(): { asin: string; body: string; rating: number }[] {
  const shared = path.resolve(ROOT, '../shared/data/reviews-dev.jsonl');
  const file = existsSync(shared) ? shared : path.join(ROOT, 'data/reviews-sample.jsonl');
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { asin: string; body: string; rating: number });
}
