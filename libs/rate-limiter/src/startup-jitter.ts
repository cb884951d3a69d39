import { jitter, sleep } from '@voc/service-kit';
import type { Priority } from './types';

/** Seed 001: the VIP lane starts sooner, so a restart of the fleet does not fire all at once. */
export const STARTUP_JITTER_MS: Readonly<Record<Priority, readonly [min: number, max: number]>> = Object.freeze({
  vip: [100, 500],
  normal: [200, 1000],
});

/** Sleeps a random start-up delay (vip 0.1–0.5 s, normal 0.2–1.0 s) and returns the ms slept. */
export async function startupJitter(priority: Priority, random: () => number = Math.random, signal?: AbortSignal): Promise<number> {
  const [min, max] = STARTUP_JITTER_MS[priority];
  const ms = Math.round(jitter(min, max, random));
  await sleep(ms, signal);
  return ms;
}
