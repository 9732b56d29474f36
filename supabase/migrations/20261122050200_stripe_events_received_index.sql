-- Ledger health page (@org/billing-ledger listEvents): the newest inbox events first without a
-- status or type filter read the whole inbox and sorted it (a seq scan that grows with the inbox:
-- 240 ms at 22k events). With this index it is the first rows of an index scan (<1 ms).
create index stripe_events_received on public.stripe_events (received_at desc, id desc);
