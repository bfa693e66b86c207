-- Seller advances: a seller is paid early part of what the exchange owes it, money the exchange
-- obtains by pledging the buyers' receivables behind it to the financial services node
-- (billing/core/financing.ts). Nothing is posted until the node confirms the pledge funded; the
-- buyers' later payments on pledged statements repay the node first.

create table advances (
  id                     uuid primary key,
  carrier_id             uuid not null references carriers(id),
  currency               char(3) not null check (currency ~ '^[A-Z]{3}$'),
  -- requested: recorded, not yet accepted by the node; pending: the node is deciding;
  -- funded: the node paid and the seller was paid; repaid: the node has been repaid in full;
  -- refused / failed: the node refused it, or could not be asked; nothing was posted.
  status                 text not null check (status in ('requested', 'pending', 'funded', 'repaid', 'refused', 'failed')),
  requested_micros       bigint check (requested_micros > 0),
  advance_micros         bigint not null check (advance_micros > 0),
  fee_micros             bigint not null check (fee_micros >= 0 and fee_micros <= advance_micros),
  repaid_micros          bigint not null default 0 check (repaid_micros >= 0 and repaid_micros <= advance_micros),
  fsn_pledge_id          text,
  refusal_reason         text,
  funding_event_id       text references fsn_events(event_id),
  funding_transaction_id bigint references ledger_transactions(id),
  payout_transaction_id  bigint references ledger_transactions(id),
  requested_by           text not null,
  created_at             timestamptz not null default now(),
  funded_at              timestamptz,
  check ((status in ('funded', 'repaid')) = (payout_transaction_id is not null))
);
create index advances_carrier on advances (carrier_id, created_at desc);
-- One advance at a time per seller and currency waits for the node.
create unique index advances_one_open on advances (carrier_id, currency) where status in ('requested', 'pending');

-- Each buyer's part: which of the seller's statements it advances, which buyer statement is
-- pledged behind it, at what grade's rate and fee.
create table advance_lines (
  advance_id             uuid not null references advances(id),
  line_no                integer not null check (line_no > 0),
  seller_statement_id    uuid not null references statements(id),
  buyer_id               uuid not null references carriers(id),
  buyer_statement_id     uuid not null references statements(id),
  grade                  char(1) not null,
  advance_rate_percent   integer not null check (advance_rate_percent between 0 and 100),
  advance_fee_bps        integer not null check (advance_fee_bps between 0 and 10000),
  attributable_micros    bigint not null check (attributable_micros > 0),
  advance_micros         bigint not null check (advance_micros > 0 and advance_micros <= attributable_micros),
  fee_micros             bigint not null check (fee_micros >= 0),
  repaid_micros          bigint not null default 0 check (repaid_micros >= 0 and repaid_micros <= advance_micros),
  primary key (advance_id, line_no)
);
create index advance_lines_buyer_statement on advance_lines (buyer_statement_id);
create index advance_lines_seller_statement on advance_lines (seller_statement_id);

-- The node repaid from a buyer's payment: one row per payment event and line.
create table advance_repayments (
  event_id               text not null references fsn_events(event_id),
  advance_id             uuid not null,
  line_no                integer not null,
  repaid_micros          bigint not null check (repaid_micros > 0),
  ledger_transaction_id  bigint not null references ledger_transactions(id),
  primary key (event_id, advance_id, line_no),
  foreign key (advance_id, line_no) references advance_lines (advance_id, line_no)
);
