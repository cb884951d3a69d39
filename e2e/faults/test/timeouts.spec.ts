import { countClientTimeouts } from '../src/timeouts';

const at = (iso: string, rest: Record<string, unknown>) => JSON.stringify({ level: 40, time: iso, ...rest });

describe('countClientTimeouts', () => {
  it('counts retried and failed calls that timed out, within the window only', () => {
    const lines = [
      at('2026-11-30T20:00:01.000Z', { msg: 'LLM attempt failed; retrying', reason: 'timeout', attempt: 1 }),
      at('2026-11-30T20:00:02.000Z', { msg: 'LLM attempt failed; retrying', reason: 'server_error', status: 502 }),
      at('2026-11-30T20:00:03.000Z', { msg: 'dependency unavailable: message held until it is back (no delivery spent)', err: 'LLM request failed: timeout: Request was aborted.' }),
      at('2026-11-30T20:10:00.000Z', { msg: 'LLM attempt failed; retrying', reason: 'timeout', attempt: 1 }),
      'not json, with timeout in it',
    ];
    const from = Date.parse('2026-11-30T20:00:00.000Z');
    expect(countClientTimeouts(lines, from, from + 60_000)).toBe(2);
    expect(countClientTimeouts(lines, from, from + 3600_000)).toBe(3);
  });
});
