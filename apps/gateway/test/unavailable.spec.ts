import { ErrorCode, NatsError } from 'nats';
import { Prisma } from '@voc/db';
import { PublishError } from '@voc/messaging';
import { outageOf } from '../src/unavailable';

const prismaError = (code: string, meta?: Record<string, unknown>) =>
  new Prisma.PrismaClientKnownRequestError('query failed', { code, clientVersion: 'test', meta });

describe('outageOf', () => {
  it('classifies unacknowledged publishes and NATS connectivity errors as a queue outage', () => {
    expect(outageOf(new PublishError('INGEST', 'voc.ingest', 'id', NatsError.errorForCode(ErrorCode.Timeout)))).toBe('queue');
    expect(outageOf(new Error('reading stream failed', { cause: NatsError.errorForCode(ErrorCode.Timeout) }))).toBe('queue');
    expect(outageOf(NatsError.errorForCode(ErrorCode.NoResponders))).toBe('queue');
  });

  it('does not excuse a message over max_payload (our bug, not an outage)', () => {
    expect(outageOf(new PublishError('INGEST', 'voc.ingest', 'id', NatsError.errorForCode(ErrorCode.MaxPayloadExceeded)))).toBeUndefined();
  });

  it('classifies unreachable or exhausted PostgreSQL as a database outage', () => {
    expect(outageOf(prismaError('P1001'))).toBe('database');
    expect(outageOf(prismaError('P2010', { driverAdapterError: { cause: { kind: 'DatabaseNotReachable' } } }))).toBe('database');
    expect(outageOf(prismaError('P2010', { driverAdapterError: { cause: { kind: 'postgres', code: '57P01' } } }))).toBe('database');
  });

  it('leaves everything else alone', () => {
    expect(outageOf(prismaError('P2002'))).toBeUndefined();
    expect(outageOf(prismaError('P2010', { driverAdapterError: { cause: { kind: 'postgres', code: '23505' } } }))).toBeUndefined();
    expect(outageOf(new TypeError('x is undefined'))).toBeUndefined();
    expect(outageOf('string')).toBeUndefined();
  });
});
