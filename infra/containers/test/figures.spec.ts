import { computeFigures, formatReport, type ContainerObservations } from '../src/figures';

function observations(over: Partial<ContainerObservations> = {}): ContainerObservations {
  return {
    images: [{ name: 'voc-pipeline:latest', bytes: 400e6 }, { name: 'voc-ct/nats:2-bookworm', bytes: 100e6 }],
    buildTimings: { 'project image': 120 },
    shipS: 30,
    startup: [{ host: 'server-a', service: 'gateway', containers: 1, readyS: 2.5, healthyS: 16 }],
    hosts: [
      { host: 'server-a', containers: 15, healthy: 14, withHealthcheck: 14 },
      { host: 'server-b', containers: 6, healthy: 6, withHealthcheck: 6 },
    ],
    migrateExitCode: 0,
    translateReplicas: { 'server-a_translate-svc_1': 40, 'server-a_translate-svc_2': 35, 'server-a_translate-svc_3': 38 },
    translateOnB: 50,
    insightThemeOnB: 60,
    uploads: { first: { sent: 10, accepted: 10 }, second: { sent: 6, accepted: 6, retries: 2, retriedBy: { '503': 2 }, failures: [] } },
    outage: { killedAtS: 20, backAtS: 50, storedBefore: 800, storedAfter: 1500, translatedBefore: 500, translatedAfter: 900 },
    finishedAtS: 120,
    reports: { requested: 5, ready: 5 },
    targets: [
      { job: 'gateway', instance: '10.231.13.70:8080', health: 'up', lastError: '', scrapedBy: 'server-a' },
      { job: 'nats', instance: 'nats-exporter:7777', health: 'down', lastError: 'no such host', scrapedBy: 'server-a' },
      { job: 'theme-svc', instance: '10.231.13.131:9105', health: 'up', lastError: '', scrapedBy: 'server-b' },
    ],
    notRunJobs: ['nats'],
    apps: [
      { host: 'server-a', service: 'gateway', name: 'server-a_gateway_1', ip: '10.231.13.70', restarts: 0 },
      { host: 'server-b', service: 'theme-svc', name: 'server-b_theme-svc_1', ip: '10.231.13.131', restarts: 0 },
    ],
    dashboard: [{ panel: 'Queue depth', expr: 'x', series: 0 }],
    memory: [{ host: 'server-a', service: 'gateway', peakMb: 120 }, { host: 'server-b', service: 'theme-svc', peakMb: 140 }],
    stopExitCodes: { 'server-a_gateway_1': 0 },
    databaseStopExitCodes: { 'server-a_pg-a_1': 0, 'server-b_pg-b_1': 0 },
    natsStopExitCodes: { 'server-a_nats-a1_1': 0, 'server-b_nats-b1_1': 0, 'witness_nats-w1_1': 0 },
    rootProcesses: [],
    recreatedByScaling: [],
    integrity: {
      uploadedDistinct: 1500, stored: 1500, missing: 0, translated: 1500, wrongTranslations: 0, insightsDone: 1500, themesDone: 1500,
      insightsUnder3: 0, insightsOver5: 0, duplicateThemes: 0, failed: 0, unfinished: 0, dlqMessages: 0,
    },
    totalS: 600,
    ...over,
  };
}

const failed = (o: ContainerObservations) => computeFigures(o).checks.filter((c) => !c.ok && c.severity === 'fail').map((c) => c.name);

describe('computeFigures', () => {
  it('passes a clean run; the exporter the test does not run may be down', () => {
    const f = computeFigures(observations());
    expect(failed(observations())).toEqual([]);
    expect([f.ok, f.lost, f.duplicated]).toEqual([true, 0, 0]);
  });

  it('fails on a down target of a service it runs', () => {
    const o = observations();
    o.targets[0]!.health = 'down';
    expect(failed(o)).toEqual(['Prometheus: every target of every service up (A scrapes, B remote-writes)']);
  });

  it('fails when a running app has no target up at its address, even with another up target of its job', () => {
    const o = observations();
    o.targets[2]!.instance = '10.231.13.140:9105';
    const prom = computeFigures(o).checks.find((c) => c.name.startsWith('Prometheus: every target'))!;
    expect(failed(o)).toEqual(['Prometheus: every target of every service up (A scrapes, B remote-writes)']);
    expect(prom.detail).toContain('no target up at the address of: server-b_theme-svc_1 10.231.13.131');
  });

  it('warns, without failing, on a down target at an address no running container has (a replaced container)', () => {
    const o = observations();
    o.targets.push({ job: 'theme-svc', instance: '10.231.13.138:9105', health: 'down', lastError: 'up = 0', scrapedBy: 'server-b' });
    expect(failed(o)).toEqual([]);
    const warn = computeFigures(o).checks.find((c) => c.name.startsWith('no target left at an address'))!;
    expect([warn.ok, warn.severity, warn.detail]).toEqual([false, 'warn', 'server-b/theme-svc 10.231.13.138:9105']);
  });

  it('warns on an app container its restart policy restarted, naming it with the count', () => {
    const o = observations();
    o.apps[1]!.restarts = 2;
    expect(failed(o)).toEqual([]);
    const warn = computeFigures(o).checks.find((c) => c.name === 'no app container restarted by its restart policy')!;
    expect([warn.ok, warn.detail]).toEqual([false, 'server-b_theme-svc_1 2x']);
  });

  it('fails when a replica took no work, or fewer than three ran', () => {
    const name = 'translate-svc scaled to 3 on A by the override, each replica took work';
    expect(failed(observations({ translateReplicas: { a: 10, b: 0, c: 5 } }))).toEqual([name]);
    expect(failed(observations({ translateReplicas: { a: 10, b: 3 } }))).toEqual([name]);
  });

  it('names the retried answers of the second wave, and the chunks it could not get accepted', () => {
    const name = 'uploads accepted while B was down';
    const ok = computeFigures(observations({ uploads: { first: { sent: 10, accepted: 10 }, second: { sent: 8, accepted: 8, retries: 12, retriedBy: { '502': 3, '503': 9 }, failures: [] } } }));
    expect(ok.checks.find((c) => c.name === name)).toMatchObject({ ok: true, detail: '8/8 (12 retried: 503 x9, 502 x3)' });
    const o = observations({ uploads: { first: { sent: 10, accepted: 10 }, second: { sent: 8, accepted: 6, retries: 9, retriedBy: { '503': 9 }, failures: ['X (100 reviews): 500 {}', 'Y (100 reviews): 500 {}'] } } });
    expect(failed(o)).toEqual([name]);
    expect(computeFigures(o).checks.find((c) => c.name === name)!.detail).toBe('6/8 (9 retried: 503 x9); not accepted: X (100 reviews): 500 {} (and 1 more)');
  });

  it('counts lost and duplicated reviews', () => {
    const o = observations();
    o.integrity = { ...o.integrity, stored: 1499, missing: 1, unfinished: 2, insightsOver5: 1 };
    const f = computeFigures(o);
    expect([f.lost, f.duplicated, f.ok]).toEqual([3, 1, false]);
  });

  it('fails on an unhealthy container, a killed app at stop, an invalid dashboard query', () => {
    expect(failed(observations({ hosts: [{ host: 'server-a', containers: 15, healthy: 13, withHealthcheck: 14 }] }))).toEqual(['every container of server-a healthy']);
    expect(failed(observations({ stopExitCodes: { x: 0, y: 137 } }))).toEqual(['every app container stopped cleanly on SIGTERM (exit 0 within its grace period)']);
    expect(failed(observations({ dashboard: [{ panel: 'p', expr: 'x(', series: 0, error: 'parse error' }] }))).toEqual(["the Grafana dashboard's queries all run on Prometheus"]);
  });

  it('warns, without failing the run, when an app peaks at or over the memory bound, naming it', () => {
    const o = observations({ memory: [{ host: 'server-a', service: 'gateway', peakMb: 120 }, { host: 'server-b', service: 'theme-svc', peakMb: 190 }] });
    const memory = computeFigures(o).checks.find((c) => c.name.startsWith('every app under 150 MB'))!;
    expect([memory.ok, memory.severity, memory.detail]).toEqual([false, 'warn', 'server-b theme-svc 190 MB']);
    expect(failed(o)).toEqual([]);
    expect(computeFigures(observations()).checks.find((c) => c.name.startsWith('every app under'))).toMatchObject({ ok: true, detail: 'highest 140 MB' });
    expect(formatReport(o, computeFigures(o))).toMatch(/server-b theme-svc\s+\|?\s*190/);
  });

  it('warns when PostgreSQL was killed at the end of its grace period', () => {
    const o = observations({ databaseStopExitCodes: { 'server-a_pg-a_1': 0, 'server-b_pg-b_1': 137 } });
    const stop = computeFigures(o).checks.find((c) => c.name.startsWith('PostgreSQL (Patroni) stopped'))!;
    expect([stop.ok, stop.severity, stop.detail]).toEqual([false, 'warn', 'server-a_pg-a_1 exit 0, server-b_pg-b_1 exit 137']);
    expect(computeFigures(observations()).checks.find((c) => c.name.startsWith('PostgreSQL (Patroni) stopped'))!.ok).toBe(true);
  });

  it('warns when a NATS node did not exit 0 on stop', () => {
    const o = observations({ natsStopExitCodes: { 'server-a_nats-a1_1': 0, 'server-b_nats-b1_1': 1 } });
    const stop = computeFigures(o).checks.find((c) => c.name.startsWith('every NATS node stopped'))!;
    expect([stop.ok, stop.severity, stop.detail]).toEqual([false, 'warn', 'server-a_nats-a1_1 exit 0, server-b_nats-b1_1 exit 1']);
    expect(computeFigures(observations()).checks.find((c) => c.name.startsWith('every NATS node stopped'))!.ok).toBe(true);
  });

  it('prints the summary row the issue asks for', () => {
    const text = formatReport(observations(), computeFigures(observations()));
    expect(text).toContain('voc-pipeline:latest');
    expect(text).toMatch(/containers A \/ B/);
    expect(text).toContain('15 / 6');
    expect(text).toContain('1500/1500');
  });
});
