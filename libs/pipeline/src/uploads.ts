/**
 * The status of one upload (GET /v1/uploads/:uploadId, and the gateway's
 * completion webhook): what the gateway accepted (`gateway_uploads`), what
 * ingest stored of it (`uploads`, one row per part: id = uploadId, or
 * uploadId#part when split), and where that upload's reviews are in each
 * stage. A review re-sent in a later upload belongs to the upload that first
 * stored it: the later one counts it as a duplicate.
 */
import type { PrismaClient } from '@voc/db';

type Counts = Record<string, number>;

export interface UploadStatus {
  uploadId: string;
  asin: string;
  /** The key that sent it (null when the gateway could not record the upload, e.g. PostgreSQL was down). */
  keyId: string | null;
  createdAt: string | null;
  /** Reviews in the upload (as accepted by the gateway, else as received by ingest). */
  reviews: number;
  parts: { total: number | null; duplicate: number; stored: number };
  /** Reviews ingest stored anew, already stored before (same asin + reviewId), or refused. */
  stored: number;
  duplicates: number;
  rejected: number;
  /** The stored reviews of this upload per stage and status (pending, queued, done, failed, …). */
  stages: Record<'translate' | 'insight' | 'theme', Counts>;
  /** Every new part stored and every stored review through every stage (no longer pending or queued). */
  complete: boolean;
}

const WAITING = new Set(['pending', 'queued']);

export async function uploadStatus(db: PrismaClient, uploadId: string): Promise<UploadStatus | undefined> {
  const gw = await db.gatewayUpload.findUnique({ where: { id: uploadId } });
  // Exact part ids when the gateway recorded how many (a primary-key lookup); a prefix search otherwise.
  const partIds = gw ? [uploadId, ...Array.from({ length: gw.parts }, (_, i) => `${uploadId}#${i + 1}`)] : undefined;
  const [parts, rows] = await Promise.all([
    db.upload.findMany({ where: partIds ? { id: { in: partIds } } : { OR: [{ id: uploadId }, { id: { startsWith: `${uploadId}#` } }] } }),
    db.$queryRaw<{ t: string; i: string; th: string; n: number }[]>`
      SELECT translate_status::text AS t, insight_status::text AS i, theme_status::text AS th, count(*)::int AS n
      FROM reviews WHERE upload_id = ${uploadId} GROUP BY 1, 2, 3`,
  ]);
  if (!gw && parts.length === 0) return undefined;
  const processed = parts.filter((p) => p.status === 'processed');
  const sum = (f: (p: (typeof parts)[number]) => number) => processed.reduce((n, p) => n + f(p), 0);
  const stages: UploadStatus['stages'] = { translate: {}, insight: {}, theme: {} };
  let waiting = false;
  for (const r of rows) {
    stages.translate[r.t] = (stages.translate[r.t] ?? 0) + r.n;
    stages.insight[r.i] = (stages.insight[r.i] ?? 0) + r.n;
    stages.theme[r.th] = (stages.theme[r.th] ?? 0) + r.n;
    if (WAITING.has(r.t) || WAITING.has(r.i) || WAITING.has(r.th)) waiting = true;
  }
  const newParts = gw?.newParts.length ?? null;
  const allStored = newParts === null ? parts.length > 0 && processed.length === parts.length : processed.length >= newParts;
  return {
    uploadId,
    asin: gw?.asin ?? parts[0]!.asin,
    keyId: gw?.keyId ?? null,
    createdAt: (gw?.createdAt ?? parts[0]?.createdAt)?.toISOString() ?? null,
    reviews: gw?.reviews ?? parts.reduce((n, p) => n + p.received, 0),
    parts: { total: gw?.parts ?? null, duplicate: gw ? gw.parts - gw.newParts.length : 0, stored: processed.length },
    stored: sum((p) => p.inserted),
    duplicates: sum((p) => p.duplicates),
    rejected: sum((p) => Math.max(0, p.received - p.inserted - p.duplicates)),
    stages,
    complete: allStored && !waiting,
  };
}
