import { getEventListeners } from 'node:events';
import { linkedSignal } from '../src';

describe('linkedSignal', () => {
  it('aborts with the reason of the first source to abort', () => {
    const a = new AbortController();
    const b = new AbortController();
    const linked = linkedSignal([a.signal, undefined, b.signal]);
    expect(linked.signal.aborted).toBe(false);
    b.abort(new Error('b first'));
    a.abort(new Error('a later'));
    expect(linked.signal.aborted).toBe(true);
    expect((linked.signal.reason as Error).message).toBe('b first');
  });

  it('is aborted at once when a source already is', () => {
    const a = new AbortController();
    a.abort(new Error('gone'));
    const live = new AbortController();
    const linked = linkedSignal([live.signal, a.signal]);
    expect(linked.signal.aborted).toBe(true);
    expect((linked.signal.reason as Error).message).toBe('gone');
    // Nothing stays hooked on the live source.
    expect(getEventListeners(live.signal, 'abort')).toHaveLength(0);
  });

  it('leaves nothing on a long-lived source once disposed (AbortSignal.any keeps every signal it made on Node 20)', () => {
    const stop = new AbortController();
    for (let i = 0; i < 1000; i++) {
      const own = new AbortController();
      const linked = linkedSignal([own.signal, stop.signal]);
      linked.dispose();
      linked.dispose();
    }
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
    // A disposed signal no longer follows its sources.
    const linked = linkedSignal([stop.signal]);
    linked.dispose();
    stop.abort();
    expect(linked.signal.aborted).toBe(false);
  });

  it('unhooks itself from every source when one aborts', () => {
    const a = new AbortController();
    const b = new AbortController();
    linkedSignal([a.signal, b.signal]);
    a.abort();
    expect(getEventListeners(b.signal, 'abort')).toHaveLength(0);
  });
});
