import { freePort } from '@voc/local-stack';
import { connectNats } from '../src/testing';
import { startEnv, type Env } from './support';

jest.setTimeout(60_000);

function recordingLog() {
  const lines: { level: string; msg?: string; obj: object }[] = [];
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj, msg });
  return { lines, log: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

describe('connectNats', () => {
  let env: Env;
  beforeAll(async () => {
    env = await startEnv();
  });
  afterAll(() => env.teardown());

  it('connects (first reachable server of a list) and logs it', async () => {
    const dead = `nats://127.0.0.1:${await freePort()}`;
    const { lines, log } = recordingLog();
    const nc = await connectNats({ url: `${env.stack.natsUrl}, ${dead}`, name: 'spec', log, waitOnFirstConnect: false });
    try {
      expect(nc.isClosed()).toBe(false);
      await nc.flush();
      expect(lines).toContainEqual(expect.objectContaining({ level: 'info', msg: 'nats connected' }));
    } finally {
      await nc.close();
    }
    expect(lines).toContainEqual(expect.objectContaining({ level: 'info', msg: 'nats connection closed' }));
  });

  it('names the server when it cannot connect and is told not to wait', async () => {
    const dead = `nats://127.0.0.1:${await freePort()}`;
    const { log } = recordingLog();
    await expect(connectNats({ url: dead, name: 'spec', log, waitOnFirstConnect: false })).rejects.toThrow(
      new RegExp(`connecting to NATS at ${dead} as spec failed`),
    );
  });
});
