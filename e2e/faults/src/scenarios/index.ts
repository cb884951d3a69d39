/**
 * Every scenario, in the order a run takes them: the ones that end quickly
 * first (a broken build fails fast), the long outages last on the main
 * bench, then the cluster bench. The position numbers the scenario's ASINs,
 * so they stay the same when only some scenarios run.
 */
import type { ScenarioDef } from '../scenario';
import { clusterScenario } from './cluster';
import { killScenarios } from './kill';
import { llmScenarios } from './llm';
import { poisonScenario } from './poison';
import { serverScenarios } from './servers';

export function allScenarios(): ScenarioDef[] {
  const servers = serverScenarios();
  const byId = (id: string) => servers.find((s) => s.id === id)!;
  const [faults, down] = llmScenarios();
  return [
    poisonScenario(),
    ...killScenarios(),
    byId('redis-restart'),
    byId('nats-restart'),
    faults!,
    byId('pg-down'),
    byId('pg-hung'),
    down!,
    clusterScenario(),
  ];
}
