import type { BackupOptions } from '@voc/messaging';
import type { PipelineDeps } from './deps';
import { handleLearning } from './learning';

/**
 * The LEARNING durable as the backup queue of an analysis service (insight,
 * theme), pulled when its own queue is empty; none when LEARNING_BACKUP is off.
 */
export function learningBackup(deps: PipelineDeps, enabled: boolean): { backup?: BackupOptions } {
  return enabled ? { backup: { queue: 'LEARNING', handler: async (job, ctx) => void (await handleLearning(deps, job, ctx)) } } : {};
}
