-- Real-time credit control: each buyer's credit line per currency, the collateral behind it, and
-- the credit reserved for its calls in progress. PostgreSQL is the one place credit is decided:
-- every decision locks the buyer's credit_accounts row (control/credit/credit-store.ts).

-- One row per carrier and currency. collateral_micros caches the sum of the carrier's active,
-- unexpired collateral; reserved_micros caches the sum of its open reservations. Both are
-- maintained by the store in the same transaction as the change, and audited by the functions
-- below.
create table credit_accounts (
  carrier_id         uuid not null references carriers(id),
  currency           char(3) not null check (currency ~ '^[A-Z]{3}$'),
  limit_micros       bigint not null default 0 check (limit_micros >= 0),
  collateral_micros  bigint not null default 0 check (collateral_micros >= 0),
  reserved_micros    bigint not null default 0 check (reserved_micros >= 0),
  updated_at         timestamptz not null default now(),
  primary key (carrier_id, currency)
);

-- Deposits (money the carrier paid in, also in the ledger) and letters of credit (a bank's
-- promise, outside the ledger until drawn). Collateral counts while it is active and, when it has
-- a valid_until, until that instant: expiry needs no job, every credit decision recomputes the
-- valid sum at its own time (credit_valid_collateral_micros).
create table collateral (
  id                     uuid primary key default gen_random_uuid(),
  carrier_id             uuid not null references carriers(id),
  kind                   text not null check (kind in ('deposit', 'letter_of_credit')),
  currency               char(3) not null check (currency ~ '^[A-Z]{3}$'),
  amount_micros          bigint not null check (amount_micros > 0),
  reference              text not null check (length(reference) between 1 and 200),
  valid_until            timestamptz,
  status                 text not null default 'active' check (status in ('active', 'released', 'drawn')),
  created_at             timestamptz not null default now(),
  closed_at              timestamptz,
  ledger_transaction_id  bigint references ledger_transactions(id),
  foreign key (carrier_id, currency) references credit_accounts (carrier_id, currency),
  check ((status = 'active') = (closed_at is null))
);
create index collateral_active on collateral (carrier_id, currency) where status = 'active';

-- Credit held for one call, keyed by its Call-ID. It remembers what the call may cost (its legs,
-- the fee and the slack) so that an extension is rated on the same terms as the first chunk.
-- planned_end_ms counts from the answer. call_id is not a foreign key to calls: the reservation is
-- made before the route answer, whatever order the call's own row is written in.
create table credit_reservations (
  call_id                text primary key check (length(call_id) between 1 and 256),
  carrier_id             uuid not null,
  currency               char(3) not null,
  amount_micros          bigint not null check (amount_micros >= 0),
  state                  text not null check (state in ('pending', 'extended', 'posted', 'voided', 'expired')),
  planned_end_ms         bigint not null check (planned_end_ms >= 0),
  -- [{ "price_per_minute_micros": "12000", "first_increment_s": 1, "next_increment_s": 1, "connect_fee_micros": "0" }]
  legs                   jsonb not null check (jsonb_typeof(legs) = 'array' and jsonb_array_length(legs) > 0),
  -- The leg that answered, once known: extensions are then rated on it alone.
  answered_leg           integer check (answered_leg >= 0),
  fee_per_minute_micros  bigint not null check (fee_per_minute_micros >= 0),
  slack_ms               bigint not null check (slack_ms >= 0),
  created_at             timestamptz not null default now(),
  updated_at             timestamptz not null default now(),
  closed_at              timestamptz,
  closed_reason          text,
  charged_micros         bigint check (charged_micros >= 0),
  foreign key (carrier_id, currency) references credit_accounts (carrier_id, currency),
  check ((state in ('pending', 'extended')) = (closed_at is null)),
  check ((state in ('posted', 'voided')) = (charged_micros is not null)),
  check (state <> 'voided' or charged_micros = 0),
  check (state <> 'posted' or charged_micros > 0)
);
create index credit_reservations_open on credit_reservations (carrier_id, currency, created_at) where state in ('pending', 'extended');

-- The collateral of a carrier that counts at this transaction's time: active and not expired.
create function credit_valid_collateral_micros(p_carrier_id uuid, p_currency text) returns bigint
language sql stable as $$
  select coalesce(sum(amount_micros), 0)::bigint from collateral
  where carrier_id = p_carrier_id and currency = p_currency and status = 'active'
    and (valid_until is null or valid_until > now())
$$;

-- A carrier's ledger balance seen from its own side (positive: the exchange owes it). Ledger
-- signs are debit positive: its receivable (what it owes) is positive and its payable (what it is
-- owed) and prepaid cash are negative, so the carrier's side is minus their sum. Deposits are left
-- out: they count as collateral.
create function credit_ledger_balance_micros(p_carrier_id uuid, p_currency text) returns bigint
language sql stable as $$
  select (-coalesce(sum(balance_micros), 0))::bigint from ledger_accounts
  where carrier_id = p_carrier_id and currency = p_currency and kind in ('receivable', 'payable', 'cash')
$$;

-- Audit: accounts whose cached reserved_micros differs from the sum of their open reservations.
-- Always empty in a sound database.
create function credit_reserved_mismatches() returns table (carrier_id uuid, currency char(3), cached bigint, summed numeric)
language sql stable as $$
  select a.carrier_id, a.currency, a.reserved_micros,
         coalesce(sum(r.amount_micros) filter (where r.state in ('pending', 'extended')), 0)
  from credit_accounts a
  left join credit_reservations r on r.carrier_id = a.carrier_id and r.currency = a.currency
  group by a.carrier_id, a.currency, a.reserved_micros
  having a.reserved_micros <> coalesce(sum(r.amount_micros) filter (where r.state in ('pending', 'extended')), 0)
$$;

-- Audit: accounts whose cached collateral_micros differs from the collateral valid now. A letter
-- of credit that expired since the account was last touched shows here until the next credit
-- decision for that carrier, or CreditStore.refreshCollateral(), brings the cache up to date.
create function credit_collateral_mismatches() returns table (carrier_id uuid, currency char(3), cached bigint, valid bigint)
language sql stable as $$
  select a.carrier_id, a.currency, a.collateral_micros, credit_valid_collateral_micros(a.carrier_id, a.currency)
  from credit_accounts a
  where a.collateral_micros <> credit_valid_collateral_micros(a.carrier_id, a.currency)
$$;
