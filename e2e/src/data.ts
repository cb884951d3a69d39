import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './pipeline';

export interface DataReview {
  asin: string;
  reviewId: string;
  rating: number;
  title?: string | null;
  body: string;
  author?: string | null;
  date?: string | null;
  helpfulVotes?: number | null;
  verified?: boolean | null;
}

/** ../shared/data/reviews-dev.jsonl when present, else the sample shipped in data/. */
export function reviewDataPath(explicit?: string): string {
  if (explicit) return explicit;
  const shared = path.resolve(ROOT, '../shared/data/reviews-dev.jsonl');
  return existsSync(shared) ? shared : path.join(ROOT, 'data/reviews-sample.jsonl');
}

export function loadReviewsByProduct(file = reviewDataPath()): Map<string, DataReview[]> {
  const by = new Map<string, DataReview[]>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const r = JSON.parse(line) as DataReview;
    const list = by.get(r.asin);
    if (list) list.push(r);
    else by.set(r.asin, [r]);
  }
  return by;
}

/** The review as the plug-in uploads it (nulls dropped). */
export function toUpload(r: DataReview) {
  return {
    reviewId: r.reviewId,
    rating: r.rating,
    body: r.body,
    ...(r.title ? { title: r.title } : {}),
    ...(r.author ? { author: r.author } : {}),
    ...(r.date ? { date: r.date } : {}),
    ...(typeof r.helpfulVotes === 'number' ? { helpfulVotes: r.helpfulVotes } : {}),
    ...(typeof r.verified === 'boolean' ? { verified: r.verified } : {}),
  };
}
