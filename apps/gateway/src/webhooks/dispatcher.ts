/**
 * Upload-completion webhooks. Each round (every GATEWAY_WEBHOOK_POLL_MS) a
 * replica claims a batch of due `pending` uploads (FOR UPDATE SKIP LOCKED,
 * then a lease: replicas never work on the same upload), checks each with
 * the pipeline's uploadStatus, and for a complete one POSTs the status to the
 * key's webhook, signed (signature.ts). A failed delivery is retried with
 * exponential backoff until GATEWAY_WEBHOOK_MAX_ATTEMPTS; an incomplete
 * upload is looked at again later, less often the older it is.
 */
import type { PrismaClient } from '@voc/db';
import { uploadStatus, type UploadStatus } from '@voc/pipeline';
import type { Logger } from '@voc/service-kit';
import type { ApiKey } from '../keys/api-keys';
import type { GatewayMetrics } from '../metrics';
import type { KeyWebhooks } from './key-webhooks';
import { signWebhook } from './signature';
import { assertDeliverable } from './webhook-url';

export interface WebhookSettings {
  pollMs: number;
  maxAttempts: number;
  timeoutMs: number;
  allowPrivate: boolean;
  /** Uploads claimed per round. */
  batch?: number;
}

export interface UploadCompletedEvent {
  event: 'upload.completed';
  deliveredAt: string;
  upload: UploadStatus;
}

const LEASE_S = 120;
const BACKOFF_BASE_MS = 5_000;
const BACKOFF_MAX_MS = 3_600_000;

/** When to look at an incomplete upload again: after a tenth of its age, between one round and a minute. */
const recheckMs = (ageMs: number, pollMs: number) => Math.min(60_000, Math.max(pollMs, ageMs / 10));
const backoffMs = (attempt: number) => Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1)) * (0.8 + Math.random() * 0.4);

export class WebhookDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private stopped = false;
  private readonly keys: Map<string, ApiKey>;

  constructor(
    private readonly db: PrismaClient,
    private readonly webhooks: KeyWebhooks,
    keys: readonly ApiKey[],
    private readonly settings: WebhookSettings,
    private readonly log: Logger,
    private readonly metrics: GatewayMetrics,
  ) {
    this.keys = new Map(keys.map((k) => [k.id, k]));
  }

  start(): void {
    const loop = () => {
      if (this.stopped) return;
      this.round = this.runRound()
        .catch((err: unknown) => this.log.warn({ err }, 'webhook round failed; retrying next round'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(loop, this.settings.pollMs);
        });
    };
    loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.round;
  }

  /** One round: refresh the webhook cache, claim due uploads, handle each. Exposed for tests. */
  async runRound(): Promise<void> {
    await this.webhooks.refresh();
    const due = await this.db.$queryRaw<{ id: string; key_id: string; webhook_attempts: number; created_at: Date }[]>`
      UPDATE gateway_uploads g SET webhook_next_at = now() + make_interval(secs => ${LEASE_S})
      FROM (
        SELECT id FROM gateway_uploads
        WHERE webhook_state = 'pending' AND (webhook_next_at IS NULL OR webhook_next_at <= now())
        ORDER BY webhook_next_at NULLS FIRST
        LIMIT ${this.settings.batch ?? 50}
        FOR UPDATE SKIP LOCKED
      ) due
      WHERE g.id = due.id
      RETURNING g.id, g.key_id, g.webhook_attempts, g.created_at`;
    for (const row of due) {
      if (this.stopped) break;
      await this.handle(row.id, row.key_id, row.webhook_attempts, row.created_at);
    }
  }

  private async handle(uploadId: string, keyId: string, attempts: number, createdAt: Date): Promise<void> {
    const hook = await this.webhooks.get(keyId);
    const key = this.keys.get(keyId);
    if (!hook || !key) {
      // The webhook was removed (or the key retired) since the upload: nothing to send.
      await this.db.gatewayUpload.update({ where: { id: uploadId }, data: { webhookState: 'none', webhookNextAt: null } });
      return;
    }
    const status = await uploadStatus(this.db, uploadId);
    if (!status?.complete) {
      const next = new Date(Date.now() + recheckMs(Date.now() - createdAt.getTime(), this.settings.pollMs));
      await this.db.gatewayUpload.update({ where: { id: uploadId }, data: { webhookNextAt: next } });
      return;
    }
    const attempt = attempts + 1;
    const error = await this.deliver(hook.url, key, status, attempt);
    if (error === undefined) {
      this.metrics.webhookDeliveries.inc({ key: keyId, result: 'delivered' });
      await this.db.gatewayUpload.update({
        where: { id: uploadId },
        data: { webhookState: 'delivered', webhookAttempts: attempt, webhookNextAt: null, webhookLastError: null, completedAt: new Date() },
      });
      return;
    }
    const giveUp = attempt >= this.settings.maxAttempts;
    this.metrics.webhookDeliveries.inc({ key: keyId, result: giveUp ? 'gave_up' : 'failed_attempt' });
    this.log.warn({ uploadId, keyId, attempt, error, giveUp }, 'webhook delivery failed');
    await this.db.gatewayUpload.update({
      where: { id: uploadId },
      data: {
        webhookState: giveUp ? 'failed' : 'pending',
        webhookAttempts: attempt,
        webhookNextAt: giveUp ? null : new Date(Date.now() + backoffMs(attempt)),
        webhookLastError: error.slice(0, 500),
        completedAt: new Date(),
      },
    });
  }

  /** Sends one delivery; undefined when the receiver answered 2xx, else why not. */
  private async deliver(url: string, key: ApiKey, upload: UploadStatus, attempt: number): Promise<string | undefined> {
    const event: UploadCompletedEvent = { event: 'upload.completed', deliveredAt: new Date().toISOString(), upload };
    const body = JSON.stringify(event);
    const timestamp = Math.floor(Date.now() / 1000);
    try {
      await assertDeliverable(url, this.settings.allowPrivate);
      const res = await fetch(url, {
        method: 'POST',
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.settings.timeoutMs),
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'voc-gateway-webhook/1',
          'X-Voc-Event': event.event,
          'X-Voc-Delivery': `${upload.uploadId}.${attempt}`,
          'X-Voc-Timestamp': String(timestamp),
          'X-Voc-Signature': signWebhook(key.digest, timestamp, body),
        },
      });
      await res.body?.cancel();
      return res.ok ? undefined : `HTTP ${res.status}`;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  }
}

