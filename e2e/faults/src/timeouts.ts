/**
 * LLM calls the services' clients gave up on after LLM_TIMEOUT_MS, from
 * their logs: llm-sim counts such a call as an ordinary request (it answers
 * later, to nobody), yet the client sends it again. On a loaded machine the
 * simulator, in the suite's own process, can be that slow, so each one is
 * allowed one more call, like any other fault answer.
 */

/** Log lines of a client timeout: a retried attempt (`reason: timeout`) or a call that failed with one. */
export function countClientTimeouts(lines: Iterable<string>, from: number, to: number): number {
  let n = 0;
  for (const line of lines) {
    if (!line.includes('timeout')) continue;
    let entry: { time?: string; msg?: string; reason?: string; err?: string };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue;
    }
    const t = entry.time ? Date.parse(entry.time) : NaN;
    if (!(t >= from && t <= to)) continue;
    const retried = entry.msg === 'LLM attempt failed; retrying' && entry.reason === 'timeout';
    const failed = typeof entry.err === 'string' && entry.err.startsWith('LLM request failed: timeout');
    if (retried || failed) n++;
  }
  return n;
}
