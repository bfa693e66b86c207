-- Past-due handling: the exchange's overdue policy (states entered at so many days past due, as
-- Kill Bill's overdue states), each carrier's current state, every transition, the notices they
-- produce and the carriers' webhook endpoints those notices are delivered to.

-- One row: the policy's states, in the shape billing/core/overdue-policy.ts validates.
create table overdue_policy (
  id          boolean primary key default true check (id),
  states      jsonb not null check (jsonb_typeof(states) = 'array'),
  updated_by  text not null,
  updated_at  timestamptz not null default now()
);
insert into overdue_policy (states, updated_by) values ('[
  {"name": "notice", "days_past_due": 1, "block_buying": false, "draw_collateral": false, "message": "Your account is past due. Please pay the statements listed."},
  {"name": "blocked", "days_past_due": 7, "block_buying": true, "draw_collateral": false, "message": "Buying is blocked: your account is 7 days past due."},
  {"name": "collateral_drawn", "days_past_due": 10, "block_buying": true, "draw_collateral": true, "message": "Your deposit or letter of credit is being drawn for the past-due amount."}
]'::jsonb, 'default');

-- A carrier without a row is in good standing. state is null in good standing.
create table carrier_overdue (
  carrier_id      uuid primary key references carriers(id),
  state           text check (length(state) between 1 and 64),
  blocked         boolean not null default false,
  days_past_due   integer not null default 0,
  -- {"USD": "12.500000"}: what is past due, per currency, as decimal strings.
  past_due        jsonb not null default '{}',
  since           timestamptz,
  evaluated_at    timestamptz
);
create index carrier_overdue_blocked on carrier_overdue (carrier_id) where blocked;

create table overdue_transitions (
  id             bigserial primary key,
  carrier_id     uuid not null references carriers(id),
  from_state     text,
  to_state       text,
  blocked        boolean not null,
  days_past_due  integer not null,
  past_due       jsonb not null,
  -- The policy's clock: the instant the evaluation ran for.
  at             timestamptz not null,
  actor          text not null,
  created_at     timestamptz not null default now()
);
create index overdue_transitions_carrier on overdue_transitions (carrier_id, id desc);

-- Where a carrier wants its notices: an HTTPS (or, for tests, HTTP) URL and the secret the
-- exchange signs them with (HMAC-SHA256 over "timestamp.body").
create table carrier_webhooks (
  carrier_id  uuid primary key references carriers(id),
  url         text not null check (length(url) between 1 and 2000),
  secret      text not null check (length(secret) >= 32),
  updated_at  timestamptz not null default now()
);

-- The outbox: one notice per transition, kept for the operator and the carrier to list, and
-- delivered to the carrier's webhook when it registered one, retried with backoff.
create table overdue_notices (
  id               bigserial primary key,
  event_id         uuid not null unique,
  carrier_id       uuid not null references carriers(id),
  transition_id    bigint not null references overdue_transitions(id),
  state            text,
  message          text not null,
  payload          jsonb not null,
  delivery         text not null check (delivery in ('none', 'pending', 'delivered', 'failed')),
  attempts         integer not null default 0,
  next_attempt_at  timestamptz,
  delivered_at     timestamptz,
  last_error       text,
  created_at       timestamptz not null default now()
);
create index overdue_notices_carrier on overdue_notices (carrier_id, id desc);
create index overdue_notices_pending on overdue_notices (next_attempt_at) where delivery = 'pending';
