-- Events from the financial services node, one row per event id: a webhook delivered twice (or
-- out of order) finds its row and changes nothing, so each confirmation posts to the ledger once.
create table fsn_events (
  event_id               text primary key check (length(event_id) between 1 and 200),
  type                   text not null,
  statement_id           uuid references statements(id),
  amount_micros          bigint check (amount_micros > 0),
  currency               char(3),
  ledger_transaction_id  bigint references ledger_transactions(id),
  received_at            timestamptz not null default now()
);
