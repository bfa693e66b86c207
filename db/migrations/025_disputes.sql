-- Disputes: reconciliations of a carrier's own CDRs against the exchange's, disputes on statement
-- lines, and the credit and debit notes that correct what was billed without editing statements.

-- A reconciliation as it was computed, kept as evidence: its figures never change.
create table reconciliations (
  id                     uuid primary key,
  carrier_id             uuid not null references carriers(id),
  section                text not null check (section in ('bought', 'sold')),
  currency               char(3) not null check (currency ~ '^[A-Z]{3}$'),
  time_zone              text not null,
  first_day              date not null,
  last_day               date not null check (last_day >= first_day),
  start_at               timestamptz not null,
  end_at                 timestamptz not null,
  start_tolerance_ms     integer not null check (start_tolerance_ms >= 0),
  duration_tolerance_ms  integer not null check (duration_tolerance_ms >= 0),
  our_calls              integer not null check (our_calls >= 0),
  their_calls            integer not null check (their_calls >= 0),
  matched_calls          integer not null check (matched_calls >= 0),
  amount_in_question_micros bigint not null check (amount_in_question_micros >= 0),
  -- Daily totals, per destination totals, mismatch groups and the mismatches, as computed by
  -- billing/core/reconciliation.ts (money as decimal strings of micro-units).
  result                 jsonb not null,
  created_by             text not null,
  created_at             timestamptz not null default now()
);
create index reconciliations_carrier on reconciliations (carrier_id, created_at desc);

create function reconciliations_immutable() returns trigger language plpgsql as $$
begin
  raise exception 'a reconciliation is evidence and cannot change' using errcode = 'insufficient_privilege';
end $$;
create trigger reconciliations_no_change before update or delete on reconciliations
  for each row execute function reconciliations_immutable();

create table disputes (
  id                      uuid primary key,
  carrier_id              uuid not null references carriers(id),
  statement_id            uuid not null references statements(id),
  line_no                 integer not null,
  section                 text not null check (section in ('bought', 'sold')),
  destination_id          uuid references destinations(id),
  destination_name        text not null,
  currency                char(3) not null,
  kind                    text not null check (kind in ('rate', 'volume')),
  reconciliation_id       uuid not null references reconciliations(id),
  claimed_micros          bigint not null check (claimed_micros > 0),
  volume_difference_bp    bigint not null check (volume_difference_bp >= 0),
  reason                  text not null default '',
  opened_by               text not null,
  opened_at               timestamptz not null default now(),
  status                  text not null check (status in ('open', 'accepted', 'rejected')),
  accepted_micros         bigint check (accepted_micros > 0),
  resolution_note         text,
  resolved_by             text,
  resolved_at             timestamptz,
  foreign key (statement_id, line_no) references statement_lines (statement_id, line_no),
  check ((status = 'open') = (resolved_at is null)),
  check ((status = 'accepted') = (accepted_micros is not null))
);
-- One open dispute per statement line at a time.
create unique index disputes_open_line on disputes (statement_id, line_no) where status = 'open';
create index disputes_carrier on disputes (carrier_id, opened_at desc);

-- A resolved dispute stays as it was resolved.
create function disputes_resolved_final() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' or old.status <> 'open' then
    raise exception 'dispute % is resolved and cannot change', old.id using errcode = 'insufficient_privilege';
  end if;
  return new;
end $$;
create trigger disputes_no_change before update or delete on disputes
  for each row execute function disputes_resolved_final();

-- Rate corrections an operator made to a trade for calls already billed: the new terms, and per
-- call the amounts it now rates to. The latest line of a call is what it is now worth, so the
-- same correction made twice finds nothing left to correct.
create table rate_corrections (
  id                       uuid primary key,
  trade_id                 uuid not null references trades(id),
  currency                 char(3) not null,
  price_per_minute_micros  bigint not null check (price_per_minute_micros > 0),
  first_increment_s        integer not null check (first_increment_s > 0),
  next_increment_s         integer not null check (next_increment_s > 0),
  connect_fee_micros       bigint not null check (connect_fee_micros >= 0),
  calls_from               timestamptz not null,
  calls_to                 timestamptz not null check (calls_to > calls_from),
  reason                   text not null,
  ledger_transaction_id    bigint references ledger_transactions(id),
  created_by               text not null,
  created_at               timestamptz not null default now()
);

create table rate_correction_calls (
  correction_id          uuid not null references rate_corrections(id),
  call_id                text not null references cdrs(call_id),
  buyer_amount_micros    bigint not null check (buyer_amount_micros >= 0),
  seller_amount_micros   bigint not null check (seller_amount_micros >= 0),
  fee_amount_micros      bigint not null check (fee_amount_micros >= 0),
  check (buyer_amount_micros = seller_amount_micros + fee_amount_micros),
  primary key (correction_id, call_id)
);
create index rate_correction_calls_call on rate_correction_calls (call_id);

-- The counters note numbers come from, one per series, locked by the transaction that issues.
create table note_counters (
  kind         text primary key check (kind in ('credit', 'debit')),
  last_number  bigint not null check (last_number >= 0)
);
insert into note_counters (kind, last_number) values ('credit', 0), ('debit', 0);

create table notes (
  id                     uuid primary key,
  kind                   text not null check (kind in ('credit', 'debit')),
  number                 bigint not null check (number > 0),
  carrier_id             uuid not null references carriers(id),
  currency               char(3) not null check (currency ~ '^[A-Z]{3}$'),
  section                text not null check (section in ('bought', 'sold')),
  -- The statement whose figures it corrects.
  statement_id           uuid not null references statements(id),
  amount_micros          bigint not null check (amount_micros > 0),
  -- The part allocated to the statement (billing/core/notes.ts: noteAllocation).
  allocated_micros       bigint not null default 0 check (allocated_micros >= 0 and allocated_micros <= amount_micros),
  dispute_id             uuid references disputes(id),
  correction_id          uuid references rate_corrections(id),
  reason                 text not null,
  -- Per destination: calls, billed seconds and amount, as on a statement line.
  lines                  jsonb not null default '[]',
  ledger_transaction_id  bigint not null references ledger_transactions(id),
  issued_by              text not null,
  issued_at              timestamptz not null default now(),
  unique (kind, number),
  check ((dispute_id is null) <> (correction_id is null))
);
create index notes_carrier on notes (carrier_id, issued_at desc);
create index notes_statement on notes (statement_id);

create function notes_immutable() returns trigger language plpgsql as $$
begin
  raise exception 'note % % is issued and cannot change', old.kind, old.number using errcode = 'insufficient_privilege';
end $$;
create trigger notes_no_change before update or delete on notes
  for each row execute function notes_immutable();

-- The credit and debit notes allocated to each statement, beside what was paid: what it settles
-- is balance - credited + debited.
alter table statements add column credited_micros bigint not null default 0 check (credited_micros >= 0);
alter table statements add column debited_micros bigint not null default 0 check (debited_micros >= 0);
