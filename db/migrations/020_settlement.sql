-- Settlement: each carrier's billing terms, the statements that bill its rated calls period by
-- period, and the marks on CDRs that say which statement billed each side of a call.

-- Carriers without a row settle on the defaults of billing/core/billing-period.ts (monthly, UTC,
-- due 30 days after issue, USD).
create table carrier_billing_terms (
  carrier_id              uuid primary key references carriers(id),
  period                  text not null check (period in ('daily', 'weekly', 'semi_monthly', 'monthly')),
  -- An IANA name PostgreSQL knows (pg_timezone_names): periods start at local midnight there.
  time_zone               text not null check (length(time_zone) between 1 and 64),
  payment_terms_days      integer not null check (payment_terms_days between 0 and 365),
  currency                char(3) not null check (currency ~ '^[A-Z]{3}$'),
  -- Payable is offset against receivable only when the offset reaches this amount.
  netting_minimum_micros  bigint not null default 0 check (netting_minimum_micros >= 0),
  updated_at              timestamptz not null default now()
);

-- One row per statement run, keyed by the last day of the periods it closes: a second run for the
-- same day is refused and changes nothing.
create table statement_runs (
  period_end        date primary key,
  statements_count  integer not null default 0,
  actor             text not null,
  created_at        timestamptz not null default now()
);

-- The one counter statement numbers come from, locked by the run's transaction: a run that fails
-- rolls its numbers back with it, so numbers never skip.
create table statement_counters (
  name         text primary key,
  last_number  bigint not null check (last_number >= 0)
);
insert into statement_counters (name, last_number) values ('statement', 0);

create table statements (
  id                      uuid primary key,
  -- Given when the statement is issued; drafts have none.
  number                  bigint unique,
  carrier_id              uuid not null references carriers(id),
  currency                char(3) not null check (currency ~ '^[A-Z]{3}$'),
  period_kind             text not null check (period_kind in ('daily', 'weekly', 'semi_monthly', 'monthly')),
  time_zone               text not null,
  -- The first and last local days of the period, both included, and the instants they span.
  period_start            date not null,
  period_end              date not null,
  period_start_at         timestamptz not null,
  period_end_at           timestamptz not null,
  status                  text not null check (status in ('draft', 'issued', 'partially_paid', 'paid', 'overdue', 'void')),
  bought_micros           bigint not null default 0 check (bought_micros >= 0),
  fees_micros             bigint not null default 0 check (fees_micros >= 0),
  sold_micros             bigint not null default 0 check (sold_micros >= 0),
  netting_micros          bigint not null default 0 check (netting_micros >= 0),
  -- Positive: the carrier owes the exchange this much; negative: the exchange owes the carrier.
  balance_micros          bigint not null default 0,
  paid_micros             bigint not null default 0 check (paid_micros >= 0),
  issued_at               timestamptz,
  due_date                date,
  netting_transaction_id  bigint references ledger_transactions(id),
  created_at              timestamptz not null default now(),
  unique (carrier_id, currency, period_start, period_end),
  check (balance_micros = bought_micros + fees_micros - sold_micros),
  check ((status = 'draft') = (number is null)),
  check (status = 'draft' or (issued_at is not null and due_date is not null))
);
create index statements_carrier on statements (carrier_id, period_end desc);

create table statement_lines (
  statement_id      uuid not null references statements(id),
  line_no           integer not null check (line_no > 0),
  section           text not null check (section in ('bought', 'sold')),
  destination_id    uuid references destinations(id),
  destination_name  text not null,
  -- A call that started before the period: it was rated after its own period had closed.
  adjustment        boolean not null,
  calls             integer not null check (calls > 0),
  billed_s          bigint not null check (billed_s >= 0),
  amount_micros     bigint not null check (amount_micros >= 0),
  fee_micros        bigint not null check (fee_micros >= 0),
  primary key (statement_id, line_no)
);

-- An issued statement is a document sent to a carrier: its figures and lines never change again;
-- only its status and what was paid against it move.
create function statements_issued_immutable() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' then
    if old.status <> 'draft' then
      raise exception 'statement % is issued and cannot be deleted', old.number using errcode = 'insufficient_privilege';
    end if;
    return old;
  end if;
  if old.status <> 'draft' and (
    new.number is distinct from old.number or new.carrier_id <> old.carrier_id or new.currency <> old.currency
    or new.period_start <> old.period_start or new.period_end <> old.period_end
    or new.bought_micros <> old.bought_micros or new.fees_micros <> old.fees_micros or new.sold_micros <> old.sold_micros
    or new.netting_micros <> old.netting_micros or new.balance_micros <> old.balance_micros
    or new.issued_at is distinct from old.issued_at or new.due_date is distinct from old.due_date
    or new.netting_transaction_id is distinct from old.netting_transaction_id
  ) then
    raise exception 'statement % is issued: its figures cannot change', old.number using errcode = 'insufficient_privilege';
  end if;
  return new;
end $$;

create trigger statements_no_change after update or delete on statements
  for each row execute function statements_issued_immutable();

create function statement_lines_immutable() returns trigger language plpgsql as $$
begin
  if exists (select 1 from statements where id = old.statement_id and status <> 'draft') then
    raise exception 'the lines of an issued statement cannot change' using errcode = 'insufficient_privilege';
  end if;
  if tg_op = 'DELETE' then
    return old;
  end if;
  return new;
end $$;

create trigger statement_lines_no_change before update or delete on statement_lines
  for each row execute function statement_lines_immutable();

-- Which statement billed each side of a call; null while that side is unbilled.
alter table cdrs add column buyer_statement_id uuid references statements(id);
alter table cdrs add column seller_statement_id uuid references statements(id);
create index cdrs_buyer_unbilled on cdrs (buyer_id, currency) where buyer_statement_id is null and billing_status = 'rated' and billed_s > 0;
create index cdrs_seller_unbilled on cdrs (seller_id, currency) where seller_statement_id is null and billing_status = 'rated' and billed_s > 0;
create index cdrs_buyer_statement on cdrs (buyer_statement_id) where buyer_statement_id is not null;
create index cdrs_seller_statement on cdrs (seller_statement_id) where seller_statement_id is not null;
