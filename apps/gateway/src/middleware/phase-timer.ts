import type { Response } from 'express';
import type { UploadPhase } from '../metrics';

/**
 * Per-request phase times (seconds): each `mark(phase)` records the time since
 * the previous mark. The upload route reports them to
 * `gateway_upload_phase_seconds` once the upload was accepted.
 */
export interface PhaseTimer {
  mark(phase: UploadPhase): void;
  readonly phases: Partial<Record<UploadPhase, number>>;
}

export function phaseTimer(res: Response): PhaseTimer {
  const existing = res.locals.phases as PhaseTimer | undefined;
  if (existing) return existing;
  let last = process.hrtime.bigint();
  const phases: Partial<Record<UploadPhase, number>> = {};
  const timer: PhaseTimer = {
    phases,
    mark(phase) {
      const now = process.hrtime.bigint();
      phases[phase] = Number(now - last) / 1e9;
      last = now;
    },
  };
  res.locals.phases = timer;
  return timer;
}
