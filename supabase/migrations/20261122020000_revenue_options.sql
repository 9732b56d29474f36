-- Revenue options of METRICS.md that reports choose at query time (@org/billing-ledger):
--
-- 1. Cancellation "at cancellation request": MRR intervals cut short by a standing cancellation
--    carry the instant it was requested; a report that chooses the option ends them there
--    (min(valid_to, cancel_requested_at)) instead of at the end of the final service period.
-- 2. Customer-level discounts: every applied `customer.discount.*` state of a discount that is
--    not attached to a subscription, keyed by its version like stripe_subscription_versions, so
--    the MRR intervals of the customer's subscriptions are a pure function of the two sets
--    (arrival order does not matter).
-- 3. Metered prices, option "include the last closed period's usage": a view of usage MRR
--    intervals derived from paid invoice lines of metered prices.

alter table public.billing_mrr_intervals add column cancel_requested_at timestamptz;
comment on column public.billing_mrr_intervals.cancel_requested_at is
  'When the cancellation that ends this subscription was requested (null: none stands). Reports with the "at cancellation request" option end the interval at min(valid_to, cancel_requested_at).';

create table public.stripe_customer_discount_versions (
  customer_id text not null,
  discount_id text not null,
  src_at timestamptz not null,
  src_rank bigint not null,
  src_event text not null,
  deleted boolean not null default false,
  -- The discount as the MRR calculation reads it (coupon terms, start, end; couponId when the
  -- coupon came as an id only).
  snapshot jsonb not null,
  primary key (customer_id, discount_id, src_at, src_rank, src_event)
);
comment on table public.stripe_customer_discount_versions is
  'Every applied state of customer-level discounts (customer.discount.* without a subscription). Stripe applies them to subscriptions that have no discount of their own.';

alter table public.stripe_customer_discount_versions enable row level security;
create policy stripe_customer_discount_versions_admin_read on public.stripe_customer_discount_versions
  for select to authenticated using (public.is_admin());

-- Usage MRR of metered prices: the usage of the last closed period (paid invoice lines of a
-- metered price, summed per subscription item and period), normalised to a month by the price's
-- interval like licensed MRR, in effect from the later of the period end and the payment until the
-- next period's usage takes over or the subscription's final service period ends. Reports union
-- it with billing_mrr_intervals when they include usage.
create view public.billing_usage_mrr_intervals with (security_invoker = true) as
with usage as (
  select
    coalesce(l.subscription_id, i.subscription_id) as subscription_id,
    coalesce(l.subscription_item_id, l.price_id, l.id) as item_id,
    i.customer_id,
    l.currency,
    l.period_end,
    greatest(l.period_end, i.paid_at) as valid_from,
    coalesce(p.recurring_interval, si.raw #>> '{price,recurring,interval}') as recurring_interval,
    coalesce(p.recurring_interval_count, (si.raw #>> '{price,recurring,interval_count}')::integer, 1) as interval_count,
    sum(l.amount) as amount
  from public.stripe_invoice_lines l
  join public.stripe_invoices i on i.id = l.invoice_id
  left join public.stripe_prices p on p.id = l.price_id
  left join public.stripe_subscription_items si on si.id = l.subscription_item_id
  where i.status = 'paid' and i.paid_at is not null and i.customer_id is not null and l.period_end is not null
    and coalesce(p.usage_type, si.raw #>> '{price,recurring,usage_type}') = 'metered'
  group by 1, 2, 3, 4, 5, 6, 7, 8
),
ordered as (
  select u.*,
    lead(u.valid_from) over (partition by u.subscription_id, u.item_id order by u.valid_from, u.period_end) as next_from
  from usage u
),
bounded as (
  select o.*, e.ended_at,
    case when e.ended_at is not null then least(coalesce(e.canceled_at, e.ended_at), e.ended_at) end as requested_at
  from ordered o
  left join lateral (
    select coalesce(
             least(s.ended_at, s.cancel_at, case when s.cancel_at_period_end then s.current_period_end end),
             case when s.status = 'canceled' then s.canceled_at end
           ) as ended_at,
           s.canceled_at
    from public.stripe_subscriptions s where s.id = o.subscription_id
  ) e on true
),
valued as (
  select b.subscription_id, b.item_id, b.customer_id, b.currency, b.valid_from,
    least(b.next_from, b.ended_at) as valid_to,
    round(greatest(b.amount, 0)::numeric
      * (case b.recurring_interval when 'month' then 1 when 'year' then 1 when 'week' then 52 when 'day' then 365 end)
      / (case b.recurring_interval when 'month' then 1 else 12 end * greatest(b.interval_count, 1)))::bigint as mrr,
    b.requested_at as cancel_requested_at
  from bounded b
)
select subscription_id, item_id, customer_id, currency, valid_from, valid_to, mrr, cancel_requested_at
from valued
where mrr > 0 and (valid_to is null or valid_to > valid_from);

comment on view public.billing_usage_mrr_intervals is
  'Usage MRR of metered prices from the last closed period (paid invoice lines), in the shape of billing_mrr_intervals.';

-- Reports resolve exchange rates before they query (a missing rate is reported by name); this
-- guard turns an amount that still finds no resolved rate into an error instead of a silent 0.
create function public.billing_fx_unresolved(p_currency text, p_day date) returns numeric
language plpgsql volatile
set search_path = ''
as $$
begin
  raise exception 'billing-ledger: no exchange rate resolved for % on %', p_currency, p_day
    using errcode = 'P0002';
end
$$;
