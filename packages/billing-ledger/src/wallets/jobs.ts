import type pg from 'pg';
import { type LedgerQueue, type RetryPolicy, sendInTransaction } from '../queue.ts';
import type { StripeApi } from '../stripe-api/client.ts';
import { type RechargeSender, runRecharge, WALLET_RECHARGE_QUEUE } from './recharge.ts';
import type { Queryable } from './store.ts';

export interface RechargeWorker {
  /** Enqueues a recharge job (one per wallet + cycle; pg-boss singleton key). */
  send: RechargeSender;
  /** The same, inside the caller's transaction. */
  sendInTransaction(client: Queryable, job: { walletId: string; cycle: number }): Promise<string>;
  stop(): Promise<void>;
}

/** The recharge queue's default policy. */
export const WALLET_RECHARGE_POLICY: RetryPolicy = {
  retryLimit: 8,
  retryDelaySeconds: 30,
  retryBackoff: true,
  // pg-boss's own worker runs these jobs and fails one still running at its expiry: a charge
  // (with its Stripe retries) may take a while.
  expireInSeconds: 300,
};

/**
 * Runs auto-recharge jobs on the ledger's pg-boss queue. A failed charge throws, so pg-boss retries
 * it with the queue's policy (backoff); the retry re-confirms the recorded payment intent.
 */
export async function startRechargeWorker(
  queue: LedgerQueue,
  options: {
    pool: pg.Pool;
    api: StripeApi;
    retry?: Partial<RetryPolicy>;
    pollingIntervalSeconds?: number;
    onError?: (error: Error) => void;
  },
): Promise<RechargeWorker> {
  await queue.ensureQueue(WALLET_RECHARGE_QUEUE, { ...WALLET_RECHARGE_POLICY, ...options.retry });
  const workId = await queue.boss.work<{ walletId: string; cycle: number }>(
    WALLET_RECHARGE_QUEUE,
    { pollingIntervalSeconds: options.pollingIntervalSeconds ?? 2, batchSize: 1 },
    async ([job]) => {
      if (!job) return;
      const r = await runRecharge(options.pool, options.api, job.data);
      if (!r.ok) {
        const error = new Error(r.error.message);
        options.onError?.(error);
        throw error;
      }
    },
  );
  const send: RechargeSender = (job, singletonKey) =>
    queue.boss.send(WALLET_RECHARGE_QUEUE, job, { singletonKey });
  return {
    send,
    sendInTransaction: (client, job) =>
      sendInTransaction(client, WALLET_RECHARGE_QUEUE, job, {
        schema: queue.schema,
        singletonKey: `wallet-recharge:${job.walletId}:${job.cycle}`,
      }),
    async stop() {
      await queue.boss.offWork(workId ? ({ id: workId } as never) : WALLET_RECHARGE_QUEUE);
    },
  };
}
