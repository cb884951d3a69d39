import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startStack, type Stack, type StackOptions } from './stack';

export interface TestStack extends Stack {
  dataDir: string;
}

/**
 * Real servers for one test file, on free loopback ports, with data in a
 * temp dir that `stop()` removes. Starting all three takes about a second,
 * so every test file gets its own and none shares state with another.
 */
export async function startTestStack(
  include: { nats?: boolean; redis?: boolean; postgres?: boolean } = {},
  options: Pick<StackOptions, 'natsNodes' | 'redisAppendOnly'> = {},
): Promise<TestStack> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'voc-test-'));
  let stack: Stack;
  try {
    stack = await startStack({ dataDir, persistent: false, include, ...options });
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    ...stack,
    dataDir,
    async stop() {
      await stack.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
