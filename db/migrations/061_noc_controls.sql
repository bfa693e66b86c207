-- What operators and alarms change in routing, as rows every node reads: a buyer's ingress trunk
-- blocked, a seller taken out of routing for a destination (or all of them), a trunk's call rate
-- lowered, a trade suspended. A control is in force from created_at until cleared_at.
create table routing_controls (
  id              bigserial primary key,
  kind            text not null check (kind in ('ingress_trunk_blocked', 'seller_out_of_routing', 'cps_limit', 'trade_suspended')),
  trunk_id        uuid references trunks(id),
  carrier_id      uuid references carriers(id),
  -- For a seller out of routing: the destination, or null for every destination.
  destination_id  uuid references destinations(id),
  trade_id        uuid references trades(id),
  cps_limit       integer check (cps_limit > 0),
  reason          text not null check (length(reason) between 1 and 500),
  -- 'operator', 'alarm:<id>' or 'quality' (a trade below its committed quality).
  source          text not null,
  created_by      text not null,
  created_at      timestamptz not null default now(),
  cleared_at      timestamptz,
  cleared_by      text,
  check (kind <> 'ingress_trunk_blocked' or trunk_id is not null),
  check (kind <> 'cps_limit' or (trunk_id is not null and cps_limit is not null)),
  check (kind <> 'seller_out_of_routing' or carrier_id is not null),
  check (kind <> 'trade_suspended' or trade_id is not null)
);
create index routing_controls_in_force on routing_controls (kind) where cleared_at is null;

-- A seller measured below the quality its sell order committed to, for longer than the setting
-- allows: the trade is flagged for the operator (and suspended when the setting says so).
create table trade_quality_flags (
  id              bigserial primary key,
  trade_id        uuid not null references trades(id),
  seller_id       uuid not null references carriers(id),
  destination_id  uuid not null references destinations(id),
  broken          text[] not null,
  measured        jsonb not null,
  committed       jsonb not null,
  below_since     timestamptz not null,
  flagged_at      timestamptz not null default now(),
  suspended       boolean not null default false,
  cleared_at      timestamptz
);
create unique index trade_quality_flags_open on trade_quality_flags (trade_id) where cleared_at is null;
