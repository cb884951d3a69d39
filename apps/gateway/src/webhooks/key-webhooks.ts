import type { PrismaClient } from '@voc/db';

/**
 * The keys' webhook URLs (api_key_webhooks), cached in memory: an upload
 * only needs to know whether its key has one (to mark the upload for
 * notification) without a database read on its path. The cache is refreshed
 * by the dispatcher's every round and on every change made through this replica.
 */
export class KeyWebhooks {
  private urls = new Map<string, string>();

  constructor(private readonly db: PrismaClient) {}

  has(keyId: string): boolean {
    return this.urls.has(keyId);
  }

  async refresh(): Promise<void> {
    const rows = await this.db.apiKeyWebhook.findMany({ select: { keyId: true, url: true } });
    this.urls = new Map(rows.map((r) => [r.keyId, r.url]));
  }

  async get(keyId: string): Promise<{ url: string; updatedAt: Date } | undefined> {
    const row = await this.db.apiKeyWebhook.findUnique({ where: { keyId } });
    return row ? { url: row.url, updatedAt: row.updatedAt } : undefined;
  }

  async set(keyId: string, url: string): Promise<{ url: string; updatedAt: Date }> {
    const row = await this.db.apiKeyWebhook.upsert({ where: { keyId }, create: { keyId, url }, update: { url } });
    this.urls.set(keyId, url);
    return { url: row.url, updatedAt: row.updatedAt };
  }

  async remove(keyId: string): Promise<boolean> {
    const { count } = await this.db.apiKeyWebhook.deleteMany({ where: { keyId } });
    this.urls.delete(keyId);
    return count > 0;
  }
}
