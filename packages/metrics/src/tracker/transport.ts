import type { MetricsError, Result } from '../errors.ts';
import type { ParsedWireEvent } from '../event.ts';
import type { RejectedEvent } from '../ingest/screen.ts';

/** What the store did with a batch it answered for. */
export interface SendResult {
  /** Events new to the store. */
  inserted: number;
  /** Events already stored (resends). */
  duplicates?: number;
  /** Events the store refused for good (`index` into the batch as passed to `send`): never resend them. */
  rejected?: readonly RejectedEvent[];
}

/** Where a tracker sends its batches. `send` resolves to a result; it throws only on bugs. */
export interface Transport {
  readonly name: string;
  send(app: string, batch: readonly ParsedWireEvent[]): Promise<Result<SendResult, MetricsError>>;
  /** Resolves once what was sent is where readers see it (e.g. drained from a buffer). */
  flush?(): Promise<void>;
  close?(): Promise<void>;
}
