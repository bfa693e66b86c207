-- Buyer deferrals: a buyer whose latest credit assessment allows it asks to pay an issued
-- statement later (billing/core/financing.ts). The statement's due date moves once, by the days
-- deferred; the interest is a debit note on the statement (notes.deferral_id), posted against the
-- exchange's financing income.

-- The exchange's financing accounts: what it owes the financial services node for advances
-- (`financing`) and what it earns by financing (`financing_income`). The list of kinds is extended
-- where it stands (other migrations may have added kinds of their own), not rewritten.
do $$
declare
  definition text;
begin
  select pg_get_constraintdef(oid) into definition from pg_constraint
  where conrelid = 'ledger_accounts'::regclass and conname = 'ledger_accounts_kind_check';
  if definition is not null and position('''financing''' in definition) = 0 then
    alter table ledger_accounts drop constraint ledger_accounts_kind_check;
    execute 'alter table ledger_accounts add constraint ledger_accounts_kind_check '
      || replace(definition, 'ARRAY[', 'ARRAY[''financing''::text, ''financing_income''::text, ');
  end if;
end $$;

create table deferrals (
  id                       uuid primary key,
  statement_id             uuid not null unique references statements(id),
  carrier_id               uuid not null references carriers(id),
  currency                 char(3) not null check (currency ~ '^[A-Z]{3}$'),
  days                     integer not null check (days between 1 and 365),
  -- The terms of the assessment it was granted under.
  -- (credit_assessments comes from a later migration: no foreign key.)
  assessment_id            uuid not null,
  grade                    char(1) not null,
  rate_bps_per_year        integer not null check (rate_bps_per_year between 0 and 100000),
  allowed_days             integer not null check (allowed_days >= days),
  -- What the buyer owed on the statement when it deferred, and the interest on it.
  amount_due_micros        bigint not null check (amount_due_micros > 0),
  interest_micros          bigint not null check (interest_micros >= 0),
  due_date_before          date not null,
  due_date_after           date not null check (due_date_after > due_date_before),
  ledger_transaction_id    bigint references ledger_transactions(id),
  requested_by             text not null,
  created_at               timestamptz not null default now(),
  check ((interest_micros = 0) = (ledger_transaction_id is null))
);
create index deferrals_carrier on deferrals (carrier_id, created_at desc);

create function deferrals_immutable() returns trigger language plpgsql as $$
begin
  raise exception 'a deferral is granted and cannot change' using errcode = 'insufficient_privilege';
end $$;
create trigger deferrals_no_change before update or delete on deferrals
  for each row execute function deferrals_immutable();

-- The due date an issued statement had before a deferral moved it (null: never deferred).
alter table statements add column deferred_from date;

-- An issued statement's figures never change; its due date may move once, later, by a deferral
-- (deferred_from set at the same time to the date it had). Everything else is as before.
create or replace function statements_issued_immutable() returns trigger language plpgsql as $$
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
    or new.issued_at is distinct from old.issued_at
    or new.netting_transaction_id is distinct from old.netting_transaction_id
    -- coalesce: a comparison with a null deferred_from is null, and "x or null" must not let a change through.
    or new.deferred_from is distinct from old.deferred_from and not coalesce(old.deferred_from is null and new.deferred_from = old.due_date, false)
    or new.due_date is distinct from old.due_date and not coalesce(old.deferred_from is null and new.deferred_from = old.due_date and new.due_date > old.due_date, false)
  ) then
    raise exception 'statement % is issued: its figures cannot change', old.number using errcode = 'insufficient_privilege';
  end if;
  return new;
end $$;

-- A deferral's interest is a debit note of its own: a note now comes from exactly one of a
-- dispute, a rate correction or a deferral.
alter table notes add column deferral_id uuid references deferrals(id);
do $$
declare
  name text;
begin
  -- The unnamed check of 025 that a note comes from a dispute or a correction, found by what it says.
  for name in select conname from pg_constraint where conrelid = 'notes'::regclass and contype = 'c'
      and pg_get_constraintdef(oid) like '%dispute_id IS NULL%correction_id IS NULL%' loop
    execute format('alter table notes drop constraint %I', name);
  end loop;
end $$;
alter table notes add constraint notes_one_source check (num_nonnulls(dispute_id, correction_id, deferral_id) = 1);
