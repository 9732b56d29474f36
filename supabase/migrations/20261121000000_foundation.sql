-- Shared building blocks for every domain schema.

-- Admins are Supabase Auth users whose app_metadata carries role = admin (set server-side only;
-- users cannot edit app_metadata). The service role bypasses RLS altogether.
create or replace function public.is_admin() returns boolean
language sql stable
set search_path = ''
as $$
  select coalesce((auth.jwt() -> 'app_metadata' ->> 'role') = 'admin', false)
$$;

comment on function public.is_admin() is 'True for a request whose JWT carries app_metadata.role = admin.';

-- Exchange rates for converting per-currency money into the reporting currency at the edge.
-- rate = units of quote currency per one unit of base currency, on that UTC day.
create table public.fx_rates (
  base_currency text not null check (base_currency ~ '^[a-z]{3}$'),
  quote_currency text not null check (quote_currency ~ '^[a-z]{3}$'),
  rate_date date not null,
  rate numeric(20, 10) not null check (rate > 0),
  source text not null default 'manual',
  primary key (base_currency, quote_currency, rate_date)
);

alter table public.fx_rates enable row level security;
create policy fx_rates_admin_read on public.fx_rates for select to authenticated using (public.is_admin());

-- Rate in effect on a day: the latest known on or before it.
create or replace function public.fx_rate(p_base text, p_quote text, p_on date) returns numeric
language sql stable
set search_path = ''
as $$
  select case when p_base = p_quote then 1::numeric else (
    select r.rate from public.fx_rates r
    where r.base_currency = p_base and r.quote_currency = p_quote and r.rate_date <= p_on
    order by r.rate_date desc limit 1
  ) end
$$;
