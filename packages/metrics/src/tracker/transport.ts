import type { MetricsError, Result } from '../errors.ts';
import type { ParsedWireEvent } from '../event.ts';

/** Where a tracker sends its batches. `send` resolves to a result; it throws only on bugs. */
export interface Transport {
  readonly name: string;
  send(app: string, batch: readonly ParsedWireEvent[]): Promise<Result<{ inserted: number }, MetricsError>>;
  /** Resolves once what was sent is where readers see it (e.g. drained from a buffer). */
  flush?(): Promise<void>;
  close?(): Promise<void>;
}
