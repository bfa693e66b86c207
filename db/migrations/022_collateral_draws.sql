-- Collateral through the financial services node: deposits and letters of credit the node
-- confirmed, draws on them for what a buyer left past due, and payments reversed after they were
-- confirmed (a bounced collection).

-- What has been drawn of each collateral; it counts for credit only for what is left. A deposit
-- or a letter of credit drawn in full is closed ('drawn').
alter table collateral add column drawn_micros bigint not null default 0 check (drawn_micros >= 0);
alter table collateral add constraint collateral_drawn_within check (drawn_micros <= amount_micros);
-- The node's own id of a deposit or a letter of credit it confirmed (null for collateral an
-- operator recorded by hand): a confirmation delivered twice finds it and records nothing more.
alter table collateral add column fsn_id text unique check (length(fsn_id) between 1 and 200);

create or replace function credit_valid_collateral_micros(p_carrier_id uuid, p_currency text) returns bigint
language sql stable as $$
  select coalesce(sum(amount_micros - drawn_micros), 0)::bigint from collateral
  where carrier_id = p_carrier_id and currency = p_currency and status = 'active'
    and (valid_until is null or valid_until > now())
$$;

-- One draw on one collateral for one statement. A deposit is money the exchange already holds: its
-- draw is honoured at once. A letter of credit is drawn through the node: presented, then honoured
-- or refused by the bank; only an honoured draw is posted to the ledger.
create table collateral_draws (
  id                     uuid primary key,
  collateral_id          uuid not null references collateral(id),
  carrier_id             uuid not null references carriers(id),
  statement_id           uuid not null references statements(id),
  currency               char(3) not null check (currency ~ '^[A-Z]{3}$'),
  amount_micros          bigint not null check (amount_micros > 0),
  status                 text not null check (status in ('presented', 'honoured', 'refused')),
  -- The node's id of a letter-of-credit draw, once it accepted the presentation.
  fsn_draw_id            text unique,
  refusal_reason         text,
  actor                  text not null,
  ledger_transaction_id  bigint references ledger_transactions(id),
  created_at             timestamptz not null default now(),
  decided_at             timestamptz,
  check ((status = 'honoured') = (ledger_transaction_id is not null)),
  check ((status = 'presented') = (decided_at is null))
);
create index collateral_draws_statement on collateral_draws (statement_id);
create index collateral_draws_presented on collateral_draws (collateral_id) where status = 'presented';

-- A payment's own id at the node, so that a later reversal (the payment bounced) finds it.
alter table fsn_events add column payment_id text;
create unique index fsn_events_payment on fsn_events (payment_id) where type = 'collection.payment_received';
create unique index fsn_events_reversal on fsn_events (payment_id) where type = 'collection.payment_reversed';
