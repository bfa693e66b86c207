-- minutex schema, version 1: members, their trunks, the market, calls and CDRs, the double-entry
-- ledger and the audit log. Money is bigint micro-units (10^-6 of the currency); times are
-- timestamptz with microsecond precision.

create table carriers (
  id          uuid primary key default gen_random_uuid(),
  name        text not null unique check (length(name) between 1 and 200),
  status      text not null default 'active' check (status in ('active', 'suspended')),
  created_at  timestamptz not null default now()
);

-- Ingress trunks recognise a buyer's calls by source address (and tech prefix); egress trunks say
-- where a seller takes calls.
create table trunks (
  id           uuid primary key default gen_random_uuid(),
  carrier_id   uuid not null references carriers(id),
  direction    text not null check (direction in ('ingress', 'egress')),
  host         inet not null,
  port         integer check (port between 1 and 65535),
  transport    text not null default 'udp' check (transport in ('udp', 'tcp')),
  tech_prefix  text check (tech_prefix ~ '^[0-9#*]{1,16}$'),
  channels     integer not null check (channels > 0),
  cps          integer not null check (cps > 0),
  created_at   timestamptz not null default now(),
  check (direction = 'ingress' or tech_prefix is null)
);
create unique index trunks_ingress_identity on trunks (host, coalesce(tech_prefix, '')) where direction = 'ingress';
create index trunks_carrier on trunks (carrier_id);

create table destinations (
  id          uuid primary key default gen_random_uuid(),
  name        text not null unique check (length(name) between 1 and 200),
  created_at  timestamptz not null default now()
);

-- E.164 digit prefixes; a number belongs to the destination of its longest matching prefix.
create table destination_prefixes (
  prefix          text primary key check (prefix ~ '^[0-9]{1,15}$'),
  destination_id  uuid not null references destinations(id),
  effective_from  timestamptz not null default now()
);
create index destination_prefixes_destination on destination_prefixes (destination_id);

create table orders (
  id                       uuid primary key default gen_random_uuid(),
  -- Arrival sequence: the "time" of price-time priority, strictly increasing and never reused.
  seq                      bigserial not null unique,
  carrier_id               uuid not null references carriers(id),
  side                     text not null check (side in ('buy', 'sell')),
  destination_id           uuid not null references destinations(id),
  currency                 char(3) not null check (currency ~ '^[A-Z]{3}$'),
  price_per_minute_micros  bigint not null check (price_per_minute_micros > 0),
  first_increment_s        integer not null check (first_increment_s > 0),
  next_increment_s         integer not null check (next_increment_s > 0),
  connect_fee_micros       bigint not null default 0 check (connect_fee_micros >= 0),
  channels                 integer not null check (channels > 0),
  channels_open            integer not null check (channels_open >= 0 and channels_open <= channels),
  status                   text not null default 'open' check (status in ('open', 'filled', 'cancelled', 'expired')),
  client_order_id          text check (length(client_order_id) between 1 and 100),
  created_at               timestamptz not null default now(),
  unique (carrier_id, client_order_id)
);
create index orders_book on orders (destination_id, currency, side, status);

-- A match of a buy and a sell. It bills at the trade price on the sell order's increments and
-- connect fee, and routes the buyer's calls to the seller while it is live.
create table trades (
  id                       uuid primary key default gen_random_uuid(),
  buy_order_id             uuid not null references orders(id),
  sell_order_id            uuid not null references orders(id),
  buyer_id                 uuid not null references carriers(id),
  seller_id                uuid not null references carriers(id),
  destination_id           uuid not null references destinations(id),
  currency                 char(3) not null,
  price_per_minute_micros  bigint not null check (price_per_minute_micros > 0),
  first_increment_s        integer not null check (first_increment_s > 0),
  next_increment_s         integer not null check (next_increment_s > 0),
  connect_fee_micros       bigint not null check (connect_fee_micros >= 0),
  channels                 integer not null check (channels > 0),
  status                   text not null default 'live' check (status in ('live', 'ended')),
  created_at               timestamptz not null default now(),
  ended_at                 timestamptz
);
create index trades_route_set on trades (buyer_id, destination_id) where status = 'live';

-- One row per call attempt from a buyer, written when the switch asks for a route and updated as
-- the call moves; the CDR is its final, rated form.
create table calls (
  call_id           text primary key check (length(call_id) between 1 and 256),
  buyer_id          uuid references carriers(id),
  ingress_trunk_id  uuid references trunks(id),
  dialled_number    text not null,
  destination_id    uuid references destinations(id),
  state             text not null check (state in ('offered', 'routing', 'ringing', 'answered', 'ended')),
  offered_routes    jsonb not null default '[]',
  legs              jsonb not null default '[]',
  setup_at          timestamptz not null,
  ring_at           timestamptz,
  answer_at         timestamptz,
  end_at            timestamptz,
  answered_leg      integer,
  updated_at        timestamptz not null default now()
);
create index calls_live on calls (state) where state <> 'ended';

create table cdrs (
  call_id                text primary key references calls(call_id),
  buyer_id               uuid references carriers(id),
  seller_id              uuid references carriers(id),
  ingress_trunk_id       uuid references trunks(id),
  egress_trunk_id        uuid references trunks(id),
  trade_id               uuid references trades(id),
  dialled_number         text not null,
  destination_id         uuid references destinations(id),
  -- Every seller tried, in order: [{ "seller_id", "trunk_id", "trade_id", "sip_code", "reason" }].
  legs                   jsonb not null,
  setup_at               timestamptz not null,
  ring_at                timestamptz,
  answer_at              timestamptz,
  end_at                 timestamptz not null,
  duration_ms            bigint not null check (duration_ms >= 0),
  final_sip_code         integer not null check (final_sip_code between 100 and 699),
  final_reason           text not null,
  ended_by               text not null check (ended_by in ('caller', 'callee', 'switch', 'not_answered')),
  currency               char(3),
  billed_s               integer check (billed_s >= 0),
  buyer_amount_micros    bigint check (buyer_amount_micros >= 0),
  seller_amount_micros   bigint check (seller_amount_micros >= 0),
  fee_amount_micros      bigint check (fee_amount_micros >= 0),
  check (buyer_amount_micros is null or buyer_amount_micros = seller_amount_micros + fee_amount_micros),
  rated_at               timestamptz,
  ledger_transaction_id  bigint,
  created_at             timestamptz not null default now()
);
create index cdrs_buyer on cdrs (buyer_id, end_at desc);
create index cdrs_seller on cdrs (seller_id, end_at desc);
create index cdrs_unposted on cdrs (created_at) where ledger_transaction_id is null and final_sip_code between 200 and 299;

-- The double-entry ledger. An account holds one currency; a posting's amount is signed
-- (debit positive, credit negative) and every transaction's postings sum to zero per currency.
create table ledger_accounts (
  id              bigserial primary key,
  carrier_id      uuid references carriers(id),
  kind            text not null check (kind in ('receivable', 'payable', 'cash', 'deposit', 'letter_of_credit', 'revenue', 'clearing')),
  currency        char(3) not null check (currency ~ '^[A-Z]{3}$'),
  -- Cached sum of postings, maintained by trigger in the same transaction; the audit query
  -- ledger_balance_mismatches() proves it equals the sum.
  balance_micros  bigint not null default 0,
  created_at      timestamptz not null default now(),
  unique (id, currency)
);
create unique index ledger_accounts_identity on ledger_accounts (coalesce(carrier_id, '00000000-0000-0000-0000-000000000000'::uuid), kind, currency);

create table ledger_transactions (
  id               bigserial primary key,
  idempotency_key  text not null unique check (length(idempotency_key) between 1 and 300),
  kind             text not null,
  description      text not null default '',
  created_at       timestamptz not null default now()
);

create table ledger_postings (
  id              bigserial primary key,
  transaction_id  bigint not null references ledger_transactions(id),
  account_id      bigint not null,
  currency        char(3) not null,
  amount_micros   bigint not null check (amount_micros <> 0),
  foreign key (account_id, currency) references ledger_accounts (id, currency)
);
create index ledger_postings_transaction on ledger_postings (transaction_id);
create index ledger_postings_account on ledger_postings (account_id);

-- Second line of defence behind the TypeScript check: at commit, every transaction that received
-- postings must have at least two and sum to zero in each currency.
create function ledger_check_transaction_balanced() returns trigger language plpgsql as $$
declare
  unbalanced record;
  posting_count integer;
begin
  select count(*) into posting_count from ledger_postings where transaction_id = new.transaction_id;
  if posting_count < 2 then
    raise exception 'ledger transaction % has % posting(s); at least two are required', new.transaction_id, posting_count
      using errcode = 'check_violation';
  end if;
  select currency, sum(amount_micros) as total into unbalanced
    from ledger_postings where transaction_id = new.transaction_id
    group by currency having sum(amount_micros) <> 0 limit 1;
  if found then
    raise exception 'ledger transaction % does not balance: % sums to %', new.transaction_id, unbalanced.currency, unbalanced.total
      using errcode = 'check_violation';
  end if;
  return null;
end $$;

create constraint trigger ledger_postings_balanced
  after insert on ledger_postings deferrable initially deferred
  for each row execute function ledger_check_transaction_balanced();

create function ledger_apply_posting() returns trigger language plpgsql as $$
begin
  update ledger_accounts set balance_micros = balance_micros + new.amount_micros where id = new.account_id;
  return new;
end $$;

create trigger ledger_postings_apply after insert on ledger_postings
  for each row execute function ledger_apply_posting();

-- Postings are facts: corrections are new transactions, never edits.
create function ledger_postings_immutable() returns trigger language plpgsql as $$
begin
  raise exception 'ledger postings are append-only' using errcode = 'insufficient_privilege';
end $$;

create trigger ledger_postings_no_change before update or delete on ledger_postings
  for each row execute function ledger_postings_immutable();

create function ledger_balance_mismatches() returns table (account_id bigint, cached bigint, summed numeric)
language sql stable as $$
  select a.id, a.balance_micros, coalesce(sum(p.amount_micros), 0)
  from ledger_accounts a left join ledger_postings p on p.account_id = a.id
  group by a.id, a.balance_micros
  having a.balance_micros <> coalesce(sum(p.amount_micros), 0)
$$;

create table audit_log (
  id       bigserial primary key,
  at       timestamptz not null default now(),
  actor    text not null,
  action   text not null,
  subject  text not null,
  details  jsonb not null default '{}'
);
create index audit_log_subject on audit_log (subject, at desc);
