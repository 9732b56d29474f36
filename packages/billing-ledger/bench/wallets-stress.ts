/**
 * Concurrency driver for one hot wallet, shared by the concurrency test and the benchmark:
 * N clients, each on its own connection, deduct random amounts (with some top-ups so the wallet
 * hovers around its debt limit), repeat idempotency keys at random, and run some operations inside
 * explicit transactions; an optional killer terminates backends mid-transaction
 * (pg_terminate_backend). A client whose connection dies reconnects and retries the same key (or
 * the same list), so every key ends with exactly one answer, which is recorded for verification.
 * Optionally part of the deductions go as lists through `public.wallet_deduct_many`.
 */
import pg from 'pg';

export interface StressOptions {
  url: string;
  walletId: string;
  clients: number;
  perClient: number;
  /** Terminate a random stress backend every this many ms (0: never). */
  killEveryMs?: number;
  seed?: number;
  /** Share of operations that are top-ups (default 0.1). */
  creditShare?: number;
  /** Share of operations whose key is sent a second time (default 0.1). */
  retryShare?: number;
  maxDeduction?: number;
  maxCredit?: number;
  /**
   * Share of deductions sent as lists through `public.wallet_deduct_many` (default 0): such a
   * list holds 2 to `maxList` consecutive deductions of the client, sometimes one key twice.
   */
  listShare?: number;
  maxList?: number;
}

export interface Answer {
  key: string;
  kind: 'debit' | 'credit';
  amount: number;
  status: string;
  transactionId: number | null;
  balance: number;
}

export interface StressResult {
  answers: Map<string, Answer>;
  operations: number;
  kills: number;
  reconnects: number;
  retriedKeys: number;
  replayMismatches: string[];
  elapsedMs: number;
}

/** Small deterministic PRNG (mulberry32) so a failing run can be reproduced from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const APP = 'wallet-stress';

async function connect(url: string): Promise<pg.Client> {
  for (let attempt = 0; ; attempt++) {
    const client = new pg.Client({ connectionString: url, application_name: APP });
    client.on('error', () => {});
    try {
      await client.connect();
      return client;
    } catch (error) {
      await client.end().catch(() => {});
      if (attempt > 50) throw error;
      await new Promise((r) => setTimeout(r, 20 + attempt * 10));
    }
  }
}

const isConnectionLoss = (error: unknown) => {
  const e = error as { code?: string; message?: string };
  return (
    e.code === '57P01' ||
    e.code === 'ECONNRESET' ||
    e.code === 'EPIPE' ||
    /terminat|Connection terminated|not queryable|ended|ECONNRESET|socket/i.test(e.message ?? '')
  );
};

export async function runWalletStress(options: StressOptions): Promise<StressResult> {
  const creditShare = options.creditShare ?? 0.1;
  const retryShare = options.retryShare ?? 0.1;
  const maxDeduction = options.maxDeduction ?? 60;
  const maxCredit = options.maxCredit ?? 400;
  const listShare = options.listShare ?? 0;
  const maxList = Math.max(2, options.maxList ?? 8);
  const answers = new Map<string, Answer>();
  const replayMismatches: string[] = [];
  let operations = 0;
  let kills = 0;
  let reconnects = 0;
  let retriedKeys = 0;
  const started = performance.now();

  let stop = false;
  const killer = (async () => {
    if (!options.killEveryMs) return;
    const admin = await connect(options.url);
    await admin.query(`set application_name = 'wallet-stress-killer'`);
    try {
      while (!stop) {
        await new Promise((r) => setTimeout(r, options.killEveryMs));
        if (stop) break;
        const { rows } = await admin.query<{ pid: number }>(
          `select pid from pg_stat_activity where application_name = $1 and datname = current_database()
             and state in ('active', 'idle in transaction') order by random() limit 1`,
          [APP],
        );
        if (rows[0]) {
          await admin.query('select pg_terminate_backend($1)', [rows[0].pid]);
          kills++;
        }
      }
    } finally {
      await admin.end().catch(() => {});
    }
  })();

  const call = async (
    client: pg.Client,
    kind: 'debit' | 'credit',
    key: string,
    amount: number,
    explicit: boolean,
  ) => {
    const sql =
      kind === 'debit'
        ? `select * from public.wallet_deduct($1, $2, $3, 'stress', '{}'::jsonb)`
        : `select * from public.wallet_credit($1, $2, $3, 'top_up', 'stress')`;
    if (explicit) {
      await client.query('begin');
      const r = await client.query(sql, [options.walletId, amount, key]);
      await client.query('commit');
      return r.rows[0];
    }
    return (await client.query(sql, [options.walletId, amount, key])).rows[0];
  };

  type Row = { status: string; transaction_id: string | null; balance: string; replayed: boolean };
  const toAnswer = (key: string, kind: 'debit' | 'credit', amount: number, row: Row): Answer => ({
    key,
    kind,
    amount,
    status: row.status,
    transactionId: row.transaction_id === null ? null : Number(row.transaction_id),
    balance: Number(row.balance),
  });
  const sameAnswer = (a: Answer, b: Answer) =>
    a.status === b.status && a.transactionId === b.transactionId && a.balance === b.balance;

  // Retries a call on a new connection until it gets through (the keys make retries safe).
  const persist = async <T>(
    state: { client: pg.Client },
    fn: (client: pg.Client) => Promise<T>,
  ): Promise<T> => {
    for (;;) {
      try {
        const value = await fn(state.client);
        operations++;
        return value;
      } catch (error) {
        if (!isConnectionLoss(error)) throw error;
        await state.client.end().catch(() => {});
        state.client = await connect(options.url);
        reconnects++;
      }
    }
  };

  // A list of deductions in one call: some lists hold one key twice; some lists are sent twice.
  const sendList = async (
    state: { client: pg.Client },
    items: { key: string; amount: number }[],
    explicit: boolean,
  ): Promise<Row[]> =>
    persist(state, async (client) => {
      const json = JSON.stringify(
        items.map((x) => ({
          wallet_id: options.walletId,
          amount: x.amount,
          idempotency_key: x.key,
          reason: 'stress',
        })),
      );
      const sql = 'select * from public.wallet_deduct_many($1::jsonb) order by item';
      if (!explicit) return (await client.query<Row>(sql, [json])).rows;
      await client.query('begin');
      const r = await client.query<Row>(sql, [json]);
      await client.query('commit');
      return r.rows;
    });

  const worker = async (index: number) => {
    const local = prng((options.seed ?? 1) * 1000 + index);
    const state = { client: await connect(options.url) };
    try {
      for (let i = 0; i < options.perClient; i++) {
        if (listShare > 0 && local() < listShare && i + 1 < options.perClient) {
          const size = Math.min(2 + Math.floor(local() * (maxList - 1)), options.perClient - i);
          const items = Array.from({ length: size }, (_, j) => ({
            key: `c${index}-${i + j}`,
            amount: 1 + Math.floor(local() * maxDeduction),
          }));
          // Sometimes the same key twice in one list: the second gets the first answer.
          const repeatAt = local() < retryShare ? Math.floor(local() * size) : -1;
          const sent = repeatAt >= 0 ? [...items, items[repeatAt]!] : items;
          const explicit = local() < 0.25;
          const sends = local() < retryShare ? 2 : 1;
          retriedKeys += (repeatAt >= 0 ? 1 : 0) + (sends === 2 ? size : 0);
          const first = new Map<string, Answer>();
          for (let s = 0; s < sends; s++) {
            const rows = await sendList(state, sent, explicit);
            rows.forEach((row, j) => {
              const x = sent[j]!;
              const answer = toAnswer(x.key, 'debit', x.amount, row);
              const earlier = first.get(x.key);
              if (!earlier) first.set(x.key, answer);
              else if (!sameAnswer(earlier, answer) || !row.replayed)
                replayMismatches.push(
                  `${x.key}: first ${JSON.stringify(earlier)}, again ${JSON.stringify(answer)}`,
                );
            });
          }
          for (const [key, answer] of first) answers.set(key, answer);
          i += size - 1;
          continue;
        }
        const kind = local() < creditShare ? 'credit' : 'debit';
        const amount = 1 + Math.floor(local() * (kind === 'debit' ? maxDeduction : maxCredit));
        const key = `c${index}-${i}`;
        const explicit = local() < 0.25;
        const sends = local() < retryShare ? 2 : 1;
        if (sends === 2) retriedKeys++;
        let first: Answer | undefined;
        for (let s = 0; s < sends; s++) {
          const row: Row = await persist(state, (client) => call(client, kind, key, amount, explicit));
          const answer = toAnswer(key, kind, amount, row);
          if (!first) first = answer;
          else if (!sameAnswer(first, answer) || !row.replayed)
            replayMismatches.push(`${key}: first ${JSON.stringify(first)}, again ${JSON.stringify(answer)}`);
        }
        answers.set(key, first!);
      }
    } finally {
      await state.client.end().catch(() => {});
    }
  };

  try {
    await Promise.all(Array.from({ length: options.clients }, (_, i) => worker(i)));
  } finally {
    stop = true;
    await killer;
  }
  return {
    answers,
    operations,
    kills,
    reconnects,
    retriedKeys,
    replayMismatches,
    elapsedMs: performance.now() - started,
  };
}
