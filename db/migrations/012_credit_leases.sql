-- Credit leases: a control-plane node takes a slice of a buyer's available credit in one
-- transaction and serves many calls' reservations from it in memory (control/credit/lease-*.ts).
--
-- Money in a lease counts in the account's leased_micros, beside reserved_micros (reservations
-- made directly against the pool). A reservation served from a lease (lease_id set) lives inside
-- the lease's amount and is NOT counted in reserved_micros. When billing settles such a call, the
-- charge leaves the lease (and leased_micros) in the transaction that posts it to the ledger, so
-- available = limit + collateral + balance - reserved - leased never moves at settlement.

create table control_nodes (
  id            text primary key check (length(id) between 1 and 100),
  started_at    timestamptz not null default now(),
  heartbeat_at  timestamptz not null default now()
);

alter table credit_accounts add column leased_micros bigint not null default 0 check (leased_micros >= 0);

create table credit_leases (
  id             uuid primary key default gen_random_uuid(),
  node_id        text not null references control_nodes(id),
  carrier_id     uuid not null,
  currency       char(3) not null,
  -- What the lease holds now: granted, less what was returned, less what settled calls spent.
  amount_micros  bigint not null check (amount_micros >= 0),
  state          text not null check (state in ('active', 'released', 'expired')),
  -- A lease nobody renews stops at this instant: its free part returns to the pool by itself.
  expires_at     timestamptz not null,
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now(),
  closed_at      timestamptz,
  foreign key (carrier_id, currency) references credit_accounts (carrier_id, currency),
  check ((state = 'active') = (closed_at is null))
);
create unique index credit_leases_one_active on credit_leases (node_id, carrier_id, currency) where state = 'active';
create index credit_leases_holding on credit_leases (carrier_id, currency) where amount_micros > 0;

alter table credit_reservations
  add column lease_id uuid references credit_leases(id),
  add column node_id text references control_nodes(id);
create index credit_reservations_lease_open on credit_reservations (lease_id) where state in ('pending', 'extended');
create index credit_reservations_node_open on credit_reservations (node_id) where state in ('pending', 'extended');

alter table calls add column node_id text references control_nodes(id);

-- reserved_micros counts only reservations made directly against the pool.
create or replace function credit_reserved_mismatches() returns table (carrier_id uuid, currency char(3), cached bigint, summed numeric)
language sql stable as $$
  select a.carrier_id, a.currency, a.reserved_micros,
         coalesce(sum(r.amount_micros) filter (where r.state in ('pending', 'extended') and r.lease_id is null), 0)
  from credit_accounts a
  left join credit_reservations r on r.carrier_id = a.carrier_id and r.currency = a.currency
  group by a.carrier_id, a.currency, a.reserved_micros
  having a.reserved_micros <> coalesce(sum(r.amount_micros) filter (where r.state in ('pending', 'extended') and r.lease_id is null), 0)
$$;

-- leased_micros equals what the accounts' leases hold.
create function credit_leased_mismatches() returns table (carrier_id uuid, currency char(3), cached bigint, summed numeric)
language sql stable as $$
  select a.carrier_id, a.currency, a.leased_micros, coalesce(sum(l.amount_micros), 0)
  from credit_accounts a
  left join credit_leases l on l.carrier_id = a.carrier_id and l.currency = a.currency
  group by a.carrier_id, a.currency, a.leased_micros
  having a.leased_micros <> coalesce(sum(l.amount_micros), 0)
$$;

-- The pool's invariant: limit + collateral + balance - (reserved + leased) >= 0 for every buyer,
-- and no lease's durable reservations hold more than the lease. Rows returned are violations.
create function credit_overdrawn() returns table (carrier_id uuid, currency char(3), lease_id uuid, available_micros numeric)
language sql stable as $$
  select a.carrier_id, a.currency, null::uuid,
         (a.limit_micros + credit_valid_collateral_micros(a.carrier_id, a.currency)
          + credit_ledger_balance_micros(a.carrier_id, a.currency) - a.reserved_micros - a.leased_micros)::numeric
  from credit_accounts a
  where a.limit_micros + credit_valid_collateral_micros(a.carrier_id, a.currency)
        + credit_ledger_balance_micros(a.carrier_id, a.currency) - a.reserved_micros - a.leased_micros < 0
  union all
  select l.carrier_id, l.currency, l.id, (l.amount_micros - sum(r.amount_micros))::numeric
  from credit_leases l join credit_reservations r on r.lease_id = l.id and r.state in ('pending', 'extended')
  group by l.id, l.carrier_id, l.currency, l.amount_micros
  having sum(r.amount_micros) > l.amount_micros
$$;
