import type { ContainerState } from '../src/compose-host';
import { HealthWatch, readyAfter, readyPattern } from '../src/startup';

const started = '2026-01-01T10:00:00.000000000Z';

describe('readyAfter', () => {
  it("measures from the container's start to its first ready line", () => {
    const logs = [
      '2026-01-01T10:00:00.500000000Z {"level":30,"msg":"connecting"}',
      '2026-01-01T10:00:03.250000000Z {"level":30,"service":"gateway","msg":"started"}',
      '2026-01-01T10:00:09.000000000Z {"level":30,"msg":"started"}',
    ].join('\n');
    expect(readyAfter(logs, started, readyPattern('gateway'))).toBe(3.3);
  });

  it('ignores the lines of an earlier start of the same container', () => {
    const logs = ['2026-01-01T09:58:00.000000000Z {"msg":"started"}', '2026-01-01T10:00:02.000000000Z {"msg":"started"}'].join('\n');
    expect(readyAfter(logs, started, readyPattern('translate-svc'))).toBe(2);
  });

  it('is undefined when the container never said it was ready', () => {
    expect(readyAfter('2026-01-01T10:00:01.000000000Z starting\n', started, readyPattern('pg-a'))).toBeUndefined();
  });

  it('knows each server image by its own line', () => {
    expect(readyPattern('pg-a').test('2026 LOG:  database system is ready to accept connections')).toBe(true);
    expect(readyPattern('pg-b').test('INFO: no action. I am (pg-b), a secondary, and following a leader (pg-a)')).toBe(true);
    expect(readyPattern('pg-basebackup').test('base backup 20261130T220000Z: done')).toBe(true);
    expect(readyPattern('redis-a').test('1:M 01 Jan * Ready to accept connections tcp')).toBe(true);
    expect(readyPattern('sentinel-w').test('1:X 01 Jan * +monitor master voc 10.231.13.1 6379 quorum 2')).toBe(true);
    expect(readyPattern('etcd-b').test('{"msg":"ready to serve client requests"}')).toBe(true);
    expect(readyPattern('keepalived').test('(uploads) Entering BACKUP STATE')).toBe(true);
    expect(readyPattern('nats-b1').test('[1] [INF] Server is ready')).toBe(true);
    expect(readyPattern('prometheus-agent').test('msg="Server is ready to receive web requests."')).toBe(true);
    expect(readyPattern('gateway').test('database system is ready')).toBe(false);
  });
});

describe('HealthWatch', () => {
  const c = (over: Partial<ContainerState>): ContainerState => ({
    id: 'c1', name: 'x', service: 'gateway', number: 1, status: 'running', exitCode: 0, startedAt: started,
    finishedAt: '', ip: '10.0.0.2', restartCount: 0, healthLog: [], ...over,
  });

  it('keeps the first healthy observation of each start', () => {
    const w = new HealthWatch();
    const t = Date.parse(started);
    w.observe([c({ health: 'starting' })], t + 5000);
    w.observe([c({ health: 'healthy' })], t + 16_000);
    w.observe([c({ health: 'healthy' })], t + 30_000);
    expect(w.healthyAfter(c({ health: 'healthy' }))).toBe(16);
    // A restart is a new start: nothing observed for it yet.
    expect(w.healthyAfter(c({ health: 'starting', startedAt: '2026-01-01T10:05:00Z' }))).toBeUndefined();
  });
});
