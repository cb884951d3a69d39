import { createServer } from 'node:net';
import { stablePort } from '../src';

describe('stablePort', () => {
  it('gives free ports below the ephemeral range, never the same one twice', async () => {
    const ports: number[] = [];
    for (let i = 0; i < 20; i++) ports.push(await stablePort());
    expect(new Set(ports).size).toBe(20);
    for (const p of ports) {
      expect(p).toBeGreaterThanOrEqual(20_000);
      expect(p).toBeLessThan(32_768);
    }
    // Each is really free: a server can listen on it.
    await new Promise<void>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(ports[0], '127.0.0.1', () => srv.close(() => resolve()));
    });
  });
});
