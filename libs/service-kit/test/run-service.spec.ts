import { createServer, type AddressInfo } from 'node:net';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { runService } from '../src';

describe('runService', () => {
  it('serves /healthz, /readyz and /metrics, and reports a failing check as 503', async () => {
    let healthy = true;
    const svc = await runService({
      name: 'spec',
      port: 0,
      host: '127.0.0.1',
      handleSignals: false,
      start(ctx) {
        ctx.addCheck({ name: 'db', check: async () => { if (!healthy) throw new Error('db down'); } });
      },
    });
    const base = `http://127.0.0.1:${svc.port}`;
    try {
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      healthy = false;
      const r = await fetch(`${base}/readyz`);
      expect(r.status).toBe(503);
      expect(await r.json()).toMatchObject({ ready: false, checks: [{ name: 'db', ok: false, error: 'db down' }] });
      const m = await (await fetch(`${base}/metrics`)).text();
      expect(m).toContain('process_cpu_user_seconds_total');
      expect(m).toContain('service="spec"');
    } finally {
      await svc.stop();
    }
  });

  it('serves /metrics on its own port when metricsPort is given, and not on the service port', async () => {
    const svc = await runService({ name: 'spec', port: 0, metricsPort: 0, host: '127.0.0.1', handleSignals: false, start() {} });
    try {
      expect(svc.metricsPort).not.toBe(svc.port);
      const m = await fetch(`http://127.0.0.1:${svc.metricsPort}/metrics`);
      expect(m.status).toBe(200);
      expect(await m.text()).toContain('service="spec"');
      expect((await fetch(`http://127.0.0.1:${svc.port}/metrics`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${svc.port}/healthz`)).status).toBe(200);
    } finally {
      await svc.stop();
    }
    // Both listeners are closed by stop().
    await expect(fetch(`http://127.0.0.1:${svc.metricsPort}/metrics`)).rejects.toThrow();
  });

  it('is not ready until start() has finished, even when every check passes', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    let release!: () => void;
    const started = new Promise<void>((r) => (release = r));
    let inStart = false;
    const running = runService({
      name: 'slow-start',
      port,
      host: '127.0.0.1',
      handleSignals: false,
      async start(ctx) {
        ctx.addCheck({ name: 'dep', check: async () => true });
        inStart = true;
        await started;
        ctx.app.post('/v1/things', (_req, res) => void res.status(202).json({ ok: true }));
      },
    });
    while (!inStart) await new Promise((r) => setTimeout(r, 10));
    const r = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(r.status).toBe(503);
    expect(await r.json()).toMatchObject({ reason: 'starting' });
    // The service's own routes are not there yet: 503 with Retry-After, not a 404.
    const early = await fetch(`http://127.0.0.1:${port}/v1/things`, { method: 'POST' });
    expect(early.status).toBe(503);
    expect(early.headers.get('retry-after')).toBe('1');
    expect(await early.json()).toMatchObject({ error: { code: 'starting' } });
    release();
    const svc = await running;
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/v1/things`, { method: 'POST' })).status).toBe(202);
    expect((await fetch(`http://127.0.0.1:${port}/v1/nothing`)).status).toBe(404);
    await svc.stop();
  });

  it('runs closers and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'support/service.ts')], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LOG_LEVEL: 'silent' },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const t = setInterval(() => {
        if (out.includes('PORT')) { clearInterval(t); resolve(); }
      }, 50);
      child.once('exit', () => { clearInterval(t); reject(new Error(`exited early: ${out}`)); });
    });
    const port = /PORT (\d+)/.exec(out)![1];
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    expect(code).toBe(0);
    expect(out).toContain('CLOSED worker');
  }, 30_000);
});
