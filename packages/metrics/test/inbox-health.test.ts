import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPartitionKeeper, drainEventInbox, enqueueEvents, eventInboxHealth } from '../src/index.ts';
import { ev } from './support.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

describe('eventInboxHealth', () => {
  it('reports the backlog and the age of its oldest row, and an empty inbox as null age', async () => {
    expect(await eventInboxHealth(db.pool)).toEqual({ pending: 0, oldestPendingAgeSeconds: null });

    const batch = [ev('u1', 'a', '2026-03-02T10:00:00Z'), ev('u2', 'b', '2026-03-02T11:00:00Z')];
    await createPartitionKeeper()(db.pool, batch);
    await enqueueEvents(db.pool, 'health', batch);
    // One of them has waited an hour (received_at is the database's clock at insert).
    await db.pool.query(
      `update metrics_event_inbox set received_at = now() - interval '1 hour' where id = $1`,
      [batch[0]!.id],
    );

    const backlog = await eventInboxHealth(db.pool);
    expect(backlog.pending).toBe(2);
    expect(backlog.oldestPendingAgeSeconds).toBeGreaterThanOrEqual(3600);
    expect(backlog.oldestPendingAgeSeconds).toBeLessThan(3600 + 600);

    await drainEventInbox(db.pool);
    expect(await eventInboxHealth(db.pool)).toEqual({ pending: 0, oldestPendingAgeSeconds: null });
  });
});
