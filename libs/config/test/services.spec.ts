import { CPU_CLASSES, cpuClassOf, DEPLOY_ROLES, placement, SERVER_CPU_CLASSES, SERVICE_NAMES, SERVICES, serviceEnvironment, servicesOn } from '../src';

describe('SERVICES: the hosts of seed 000', () => {
  it('puts data, API, ingestion, reports, VIP learning and translation on server A', () => {
    expect(servicesOn('server-a')).toEqual(['gateway', 'ingest-svc', 'translate-svc', 'learning-svc', 'report-svc', 'llm-sim']);
    expect(placement('learning-svc', 'server-a')).toMatchObject({ seedWorker: 'worker-vip', memoryMb: 1024 });
    expect(placement('translate-svc', 'server-a')).toMatchObject({ seedWorker: 'worker-trans', memoryMb: 1536 });
    expect(serviceEnvironment('translate-svc', 'server-a').CONCURRENCY).toBe('500');
    expect(serviceEnvironment('learning-svc', 'server-a').CONCURRENCY).toBe('30');
  });

  it('puts insight, theme, the second translation and the learning backup on server B, with a second gateway, ingestion and reports (seed 003)', () => {
    expect(servicesOn('server-b')).toEqual(['gateway', 'ingest-svc', 'translate-svc', 'learning-svc', 'insight-svc', 'theme-svc', 'report-svc']);
    expect(serviceEnvironment('translate-svc', 'server-b').CONCURRENCY).toBe('300');
    // Seed 000's "backup" worker: learning at CONCURRENCY 20; insight and theme back LEARNING up too.
    expect(placement('learning-svc', 'server-b')).toMatchObject({ seedWorker: 'worker-backup', memoryMb: 1024 });
    expect(serviceEnvironment('learning-svc', 'server-b').CONCURRENCY).toBe('20');
    expect(serviceEnvironment('insight-svc', 'server-b')).toMatchObject({ CONCURRENCY: '8', INSIGHT_PARALLEL_SIZE: '100', LEARNING_BACKUP: 'true' });
    expect(serviceEnvironment('theme-svc', 'server-b')).toMatchObject({ CONCURRENCY: '8', THEME_PARALLEL_SIZE: '100', LEARNING_BACKUP: 'true' });
    for (const n of servicesOn('server-b')) expect(placement(n, 'server-b')!.memoryMb).toBeLessThanOrEqual(1024);
  });

  it('runs no service on the witness: it only votes (NATS, etcd, Sentinel) and keeps the backups', () => {
    expect(servicesOn('witness')).toEqual([]);
  });

  it('lets extra worker hosts (C, D, …) run only insight and theme', () => {
    expect(servicesOn('worker')).toEqual(['insight-svc', 'theme-svc']);
  });

  it('runs every pipeline service somewhere, the simulator only on request', () => {
    const deployed = new Set(DEPLOY_ROLES.flatMap((r) => servicesOn(r)));
    expect([...deployed].sort()).toEqual([...SERVICE_NAMES].sort());
    expect(placement('llm-sim', 'server-a')!.profile).toBe('sim');
    expect(DEPLOY_ROLES.flatMap((r) => servicesOn(r).filter((n) => placement(n, r)!.profile)).sort()).toEqual(['llm-sim']);
  });

  it('keeps the single-host defaults (npm start) unchanged by the host roles', () => {
    expect(serviceEnvironment('translate-svc')).toEqual({ HEALTH_PORT: '9102', CONCURRENCY: '500', DB_POOL_SIZE: '10' });
    expect(serviceEnvironment('learning-svc', 'single').CONCURRENCY).toBe('30');
    expect(serviceEnvironment('llm-sim')).toEqual({ LLM_SIM_PORT: '8090' });
  });

  it('gives every service its own port, and every backend service a pool', () => {
    const ports = SERVICE_NAMES.map((n) => SERVICES[n].port);
    expect(new Set(ports).size).toBe(ports.length);
    for (const n of SERVICE_NAMES) {
      const def = SERVICES[n] as { backend?: boolean };
      if (def.backend) expect(Number(serviceEnvironment(n).DB_POOL_SIZE)).toBeGreaterThan(0);
    }
  });
});

describe('CPU classes', () => {
  it('puts the upload path (the gateway and the servers it waits on) in the interactive class, every batch worker and llm-sim in batch', () => {
    expect(SERVICE_NAMES.filter((n) => cpuClassOf(n).cpuClass === 'interactive')).toEqual(['gateway']);
    for (const n of ['ingest-svc', 'translate-svc', 'learning-svc', 'insight-svc', 'theme-svc', 'report-svc', 'llm-sim'] as const) {
      expect([n, cpuClassOf(n).cpuClass]).toEqual([n, 'batch']);
    }
    expect(SERVER_CPU_CLASSES).toMatchObject({ nats: 'interactive', redis: 'interactive', haproxy: 'interactive' });
  });

  it('makes batch yield in both places it is applied: a higher niceness (npm start, no root needed) and a smaller container weight', () => {
    expect(CPU_CLASSES.interactive).toEqual({ nice: 0, cpuShares: 1024 });
    expect(CPU_CLASSES.batch.nice).toBeGreaterThan(0);
    expect(CPU_CLASSES.batch.nice).toBeLessThanOrEqual(19);
    expect(CPU_CLASSES.batch.cpuShares).toBeLessThan(CPU_CLASSES.interactive.cpuShares);
    expect(CPU_CLASSES.batch.cpuShares).toBeGreaterThanOrEqual(2);
    expect(cpuClassOf('translate-svc')).toEqual({ cpuClass: 'batch', ...CPU_CLASSES.batch });
  });
});
