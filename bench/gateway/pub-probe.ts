/**
 * The PubAck as nats-server gives it, beside the gateway's: a process of its
 * own (forked by run.ts at the gateway's CPU priority) publishes messages of
 * an upload's size, at the step's rate and spread out, to a file-stored
 * stream of its own on the pipeline's nats-server, and times each PubAck
 * from its due time. If this stays at a millisecond or two while the
 * gateway's publish phase takes tens, the time is not spent in nats-server
 * but in the gateway, waiting for its own event loop. The stream
 * (BENCH_PROBE, subject bench.probe) is deleted at the end; no service
 * reads it. Receives one ProbeJob over IPC, answers one ProbeOutcome, exits.
 */
import { connect, RetentionPolicy, StorageType } from 'nats';
import { quantile, serveOneJob, type ProbeJob, type ProbeOutcome } from './load-job';

const STREAM = 'BENCH_PROBE';
const SUBJECT = 'bench.probe';

async function run(job: ProbeJob): Promise<ProbeOutcome> {
  const nc = await connect({ servers: job.natsUrl.split(','), name: 'bench-pub-probe' });
  try {
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name: STREAM, subjects: [SUBJECT], storage: StorageType.File, retention: RetentionPolicy.Limits, max_msgs: 1000, num_replicas: 1 });
    const js = nc.jetstream();
    const payload = new Uint8Array(job.bytes).fill(0x78);
    const latencies: number[] = [];
    let errors = 0;
    const start = performance.now();
    const total = Math.round(job.seconds * job.rate);
    const sent: Promise<void>[] = [];
    for (let k = 0; k < total; k++) {
      const due = start + (k * 1000) / job.rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      sent.push(
        js.publish(SUBJECT, payload, { msgID: `probe-${process.pid}-${k}`, expect: { streamName: STREAM } }).then(
          () => void latencies.push(performance.now() - due),
          () => void errors++,
        ),
      );
    }
    await Promise.all(sent);
    await jsm.streams.delete(STREAM);
    latencies.sort((a, b) => a - b);
    const at = (q: number) => Math.round(quantile(latencies, q) * 100) / 100;
    return { n: latencies.length, errors, p50: at(0.5), p99: at(0.99), max: at(1) };
  } finally {
    await nc.close();
  }
}

serveOneJob(run);
