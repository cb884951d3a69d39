import { Client } from 'pg';
import { GatewayClient } from './client';
import { startPipeline, type Pipeline, type PipelineOptions } from './pipeline';

export interface PipelineFixture {
  readonly p: Pipeline;
  readonly gw: GatewayClient;
  /** A plain pg client on the pipeline's database, for checks in SQL. */
  readonly db: Client;
}

/** The whole pipeline for one spec file: started before its tests, stopped after. Call at the top of a describe. */
export function usePipeline(opts: PipelineOptions): PipelineFixture {
  let state: PipelineFixture | undefined;
  beforeAll(async () => {
    const p = await startPipeline(opts);
    const db = new Client({ connectionString: p.stack.databaseUrl });
    await db.connect();
    state = { p, gw: new GatewayClient(p.gatewayUrl, p.apiKey), db };
  }, 180_000);
  afterAll(async () => {
    await state?.db.end();
    await state?.p.stop();
  }, 60_000);
  const get = () => {
    if (!state) throw new Error('usePipeline: the pipeline is not running (used outside a test?)');
    return state;
  };
  return {
    get p() {
      return get().p;
    },
    get gw() {
      return get().gw;
    },
    get db() {
      return get().db;
    },
  };
}
