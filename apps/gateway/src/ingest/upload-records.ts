/**
 * The gateway's record of each accepted upload (gateway_uploads: key, parts
 * stored anew, webhook state), written off the upload's path: rows are
 * buffered and inserted in one statement every FLUSH_MS. bench:gateway showed
 * the per-upload INSERT, waiting on a PostgreSQL busy with ingest's bulk
 * writes, as the largest share of an upload's latency; uploads need only
 * NATS. Until its row is written, this replica answers GET /v1/uploads/:id
 * from the buffer. Rows that cannot be written (PostgreSQL down) are retried
 * for a while, then dropped with a warning: those uploads get no webhook.
 */
import type { PrismaClient } from '@voc/db';
import type { Logger } from '@voc/service-kit';

export interface UploadRecord {
  id: string;
  keyId: string;
  asin: string;
  reviews: number;
  parts: number;
  newParts: number[];
  webhookState: 'pending' | 'none';
  createdAt: Date;
}

const FLUSH_MS = 100;
const MAX_BATCH = 500;
/** Rows kept while PostgreSQL is away, and how long they are retried. */
const MAX_BUFFERED = 50_000;
const GIVE_UP_MS = 5 * 60_000;

export class UploadRecords {
  private buffer = new Map<string, UploadRecord>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly db: PrismaClient,
    private readonly log: Logger,
  ) {}

  add(row: UploadRecord): void {
    if (this.buffer.size >= MAX_BUFFERED) {
      this.log.warn({ uploadId: row.id }, 'upload records buffer full (PostgreSQL away?): upload not recorded, no webhook for it');
      return;
    }
    this.buffer.set(row.id, row);
    this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  /** A row accepted here and not yet written. */
  pending(id: string): UploadRecord | undefined {
    return this.buffer.get(id);
  }

  /** Writes what is buffered (also on shutdown). */
  async flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    this.timer = undefined;
    this.flushing = this.write().finally(() => {
      this.flushing = undefined;
      if (this.buffer.size > 0) this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
    });
    return this.flushing;
  }

  private async write(): Promise<void> {
    while (this.buffer.size > 0) {
      const batch = [...this.buffer.values()].slice(0, MAX_BATCH);
      try {
        await this.db.gatewayUpload.createMany({ data: batch, skipDuplicates: true });
        for (const r of batch) this.buffer.delete(r.id);
      } catch (err) {
        const stale = batch.filter((r) => Date.now() - r.createdAt.getTime() > GIVE_UP_MS);
        for (const r of stale) this.buffer.delete(r.id);
        this.log.warn({ err: (err as Error).message, buffered: this.buffer.size, dropped: stale.length }, 'could not record uploads; retrying');
        return;
      }
    }
  }
}
