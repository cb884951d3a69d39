/**
 * The app image's HEALTHCHECK (infra/docker/healthcheck.sh) against a real
 * HTTP server on loopback: healthy only on 200 from /readyz, with the reason
 * in its output otherwise.
 */
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

const SCRIPT = path.join(__dirname, '../../docker/healthcheck.sh');

function check(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', [SCRIPT], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, timeout: 15_000 }, (err, _stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stderr }),
    );
  });
}

describe('the container healthcheck', () => {
  let server: http.Server;
  let port = 0;
  let answer: { status: number; body: string } = { status: 200, body: '{"ready":true}' };
  const paths: string[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      paths.push(req.url ?? '');
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('is healthy when /readyz answers 200, on whichever of the three port variables is set', async () => {
    answer = { status: 200, body: '{"ready":true}' };
    for (const name of ['GATEWAY_PORT', 'HEALTH_PORT', 'LLM_SIM_PORT']) {
      expect(await check({ [name]: String(port) })).toEqual({ code: 0, stderr: '' });
    }
    expect(paths.slice(-3)).toEqual(['/readyz', '/readyz', '/readyz']);
  });

  it('is unhealthy on any other status, and says what /readyz answered', async () => {
    answer = { status: 503, body: '{"ready":false,"waitingFor":"postgres"}' };
    const r = await check({ HEALTH_PORT: String(port) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('503');
    expect(r.stderr).toContain('waitingFor');
  });

  it('is unhealthy when nothing listens on the port, or no port is set', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const freePort = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const down = await check({ HEALTH_PORT: String(freePort) });
    expect(down.code).toBe(1);
    expect(down.stderr).toContain(`nothing listens on port ${freePort}`);
    const unset = await check({});
    expect(unset.code).toBe(1);
    expect(unset.stderr).toContain('none of GATEWAY_PORT, HEALTH_PORT, LLM_SIM_PORT is set');
  });
});
