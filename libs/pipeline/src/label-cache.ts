/**
 * Seed 001's LabelCacheManager: a product's 5W label map (name → id per
 * category) cached in Redis for LABEL_CACHE_TTL_S (1 h), so theme extraction
 * does not ask PostgreSQL for it on every message. learning-svc refreshes it
 * when it learns a new version; the version in the entry guards against a
 * stale map outliving a relearn.
 */
import type Redis from 'ioredis';
import type { PrismaClient } from '@voc/db';
import { FIVE_W, type FiveW } from './domain';

export interface LabelMap {
  asin: string;
  learningVersion: number;
  /** category → label name → { id, description } */
  labels: Record<FiveW, Record<string, { id: number; description: string }>>;
}

const key = (asin: string) => `voc:label_cache:${asin}`;

export async function loadLabelMap(db: PrismaClient, asin: string, learningVersion: number): Promise<LabelMap> {
  const rows = await db.label.findMany({ where: { asin, learningVersion }, orderBy: { id: 'asc' } });
  const labels = Object.fromEntries(FIVE_W.map((w) => [w, {}])) as LabelMap['labels'];
  for (const r of rows) labels[r.category][r.name] = { id: r.id, description: r.description };
  return { asin, learningVersion, labels };
}

export async function cacheLabelMap(redis: Redis, map: LabelMap, ttlS: number): Promise<void> {
  await redis.set(key(map.asin), JSON.stringify(map), 'EX', ttlS);
}

/** The cached map of that version, or the database's (then cached). */
export async function getLabelMap(
  redis: Redis,
  db: PrismaClient,
  asin: string,
  learningVersion: number,
  ttlS: number,
): Promise<{ map: LabelMap; cached: boolean }> {
  const raw = await redis.get(key(asin));
  if (raw) {
    const map = JSON.parse(raw) as LabelMap;
    if (map.learningVersion === learningVersion) return { map, cached: true };
  }
  const map = await loadLabelMap(db, asin, learningVersion);
  await cacheLabelMap(redis, map, ttlS);
  return { map, cached: false };
}
