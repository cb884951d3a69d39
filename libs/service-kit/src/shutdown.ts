import type { Logger } from './logger';

type Closer = { name: string; close: () => Promise<unknown> | unknown };

/**
 * Ordered shutdown: closers run in reverse order of registration (stop taking
 * work first, close connections last), each awaited, errors logged and not
 * swallowed into silence. A deadline guards against a closer that hangs.
 */
export class Shutdown {
  private readonly closers: Closer[] = [];
  private running: Promise<void> | undefined;

  constructor(
    private readonly log: Logger,
    private readonly timeoutMs: number,
  ) {}

  get started(): boolean {
    return this.running !== undefined;
  }

  add(name: string, close: Closer['close']): void {
    this.closers.push({ name, close });
  }

  /** Runs every closer once; later calls return the same promise. */
  run(reason: string): Promise<void> {
    this.running ??= this.execute(reason);
    return this.running;
  }

  private async execute(reason: string): Promise<void> {
    this.log.info({ reason }, 'shutting down');
    const deadline = setTimeout(() => {
      this.log.error({ timeoutMs: this.timeoutMs }, 'shutdown deadline passed; exiting');
      process.exit(1);
    }, this.timeoutMs);
    deadline.unref();
    for (const c of [...this.closers].reverse()) {
      try {
        await c.close();
        this.log.debug({ closer: c.name }, 'closed');
      } catch (err) {
        this.log.error({ err, closer: c.name }, 'error while closing');
      }
    }
    clearTimeout(deadline);
  }

  /** SIGTERM and SIGINT start the shutdown once; the process exits when it ends. */
  installSignalHandlers(): void {
    const onSignal = (signal: NodeJS.Signals) => {
      void this.run(signal).then(() => process.exit(0));
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
}
