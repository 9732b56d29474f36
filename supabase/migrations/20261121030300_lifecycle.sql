-- Lifecycle (@org/lifecycle): current stage per user and per account, stage transitions recorded
-- once, and the outbox of email-provider events (idempotent key, retries with backoff).

create table public.lifecycle_stages (
  app text not null,
  subject_type text not null check (subject_type in ('user', 'account')),
  subject_id text not null,
  stage text not null check (stage in ('new', 'activated', 'engaged', 'at_risk', 'dormant', 'paying', 'churned')),
  score numeric(5, 2) not null check (score between 0 and 100),
  since timestamptz not null,
  evaluated_at timestamptz not null,
  primary key (app, subject_type, subject_id)
);
create index lifecycle_stages_stage on public.lifecycle_stages (app, subject_type, stage);

create table public.lifecycle_transitions (
  id bigint generated always as identity primary key,
  app text not null,
  subject_type text not null check (subject_type in ('user', 'account')),
  subject_id text not null,
  from_stage text,
  to_stage text not null,
  score numeric(5, 2) not null,
  occurred_at timestamptz not null,
  recorded_at timestamptz not null default now(),
  -- A rerun of the same evaluation records nothing new.
  unique (app, subject_type, subject_id, to_stage, occurred_at)
);
create index lifecycle_transitions_recent on public.lifecycle_transitions (app, occurred_at desc);

create table public.email_outbox (
  id bigint generated always as identity primary key,
  idempotency_key text not null unique check (length(idempotency_key) between 1 and 100),
  provider text not null check (provider in ('kit', 'loops')),
  event_name text not null,
  email text,
  subject_id text not null,
  payload jsonb not null default '{}'::jsonb,
  status text not null default 'pending' check (status in ('pending', 'sent', 'dead')),
  attempts integer not null default 0 check (attempts >= 0),
  next_attempt_at timestamptz not null default now(),
  last_error text,
  created_at timestamptz not null default now(),
  sent_at timestamptz
);
create index email_outbox_due on public.email_outbox (next_attempt_at) where status = 'pending';

do $$
declare
  t text;
begin
  foreach t in array array['lifecycle_stages', 'lifecycle_transitions', 'email_outbox'] loop
    execute format('alter table public.%I enable row level security', t);
    execute format('create policy %I on public.%I for select to authenticated using (public.is_admin())', t || '_admin_read', t);
  end loop;
end
$$;
