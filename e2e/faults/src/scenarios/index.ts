/**
 * Every scenario, in the order its bench takes them: the main bench (one
 * NATS server) runs the quick ones first (a broken build fails fast) and
 * the PostgreSQL hang last; the cluster bench (three NATS nodes), running
 * at the same time, takes report-svc's kill, the LLM scenarios, PostgreSQL down (so that the
 * long outages of the two benches overlap) and then the node loss, which
 * waits for the main bench's PostgreSQL hang so that it measures stalls on
 * a quiet machine. The position numbers a scenario's ASINs, so
 * they stay the same when only some scenarios run.
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
  return [
    poisonScenario(),
    ...killScenarios(),
    byId('redis-restart'),
    byId('nats-restart'),
    byId('pg-hung'),
    ...llmScenarios(),
    byId('pg-down'),
    clusterScenario(),
  ];
}
