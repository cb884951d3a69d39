/**
 * What run.ts asks of the load process (load.ts) and what it answers. Kept
 * apart from load.ts, whose import starts listening for a job on the IPC
 * channel: run.ts itself has one (tsx's), and must not listen there.
 */
import type autocannon from 'autocannon';

export const PER_UPLOAD = 100;

export type LoadJob =
  | { kind: 'uploads'; url: string; apiKey: string; tag: string; seconds: number; rate?: number; connections: number }
  | { kind: 'abuse'; url: string; apiKey: string; seconds: number; connections: number };

export interface LoadOutcome {
  result: autocannon.Result;
  /** abuse: answers by HTTP status. */
  statuses: Record<string, number>;
  /** What one abusive body weighs, MB. */
  bodyMb?: number;
}
