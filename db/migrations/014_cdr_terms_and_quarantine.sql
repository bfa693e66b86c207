-- A CDR carries the terms it is rated with (those of the leg that answered, and the exchange fee
-- its credit reservation used), so that rating never reads the process configuration or the
-- trade and re-rating any CDR later gives the same amount. A CDR that cannot be rated or posted
-- is quarantined with its reason, and billing carries on with the others.

alter table cdrs
  add column price_per_minute_micros bigint,
  add column first_increment_s integer,
  add column next_increment_s integer,
  add column connect_fee_micros bigint,
  add column fee_per_minute_micros bigint,
  -- pending: waiting to be rated; rated: rated (and posted when it costs anything); quarantined:
  -- set aside with its reason until an operator requeues it.
  add column billing_status text not null default 'pending' check (billing_status in ('pending', 'rated', 'quarantined')),
  add column quarantine_reason text,
  add column quarantined_at timestamptz,
  add constraint cdrs_quarantine_reason check ((billing_status = 'quarantined') = (quarantine_reason is not null and quarantined_at is not null));

-- Existing CDRs take their terms from their trade (trade terms never change once made) and the fee
-- from their reservation. An unrated CDR left without a fee is quarantined when billing meets it.
update cdrs c set currency = t.currency, price_per_minute_micros = t.price_per_minute_micros, first_increment_s = t.first_increment_s,
  next_increment_s = t.next_increment_s, connect_fee_micros = t.connect_fee_micros
from trades t where t.id = c.trade_id;
update cdrs c set fee_per_minute_micros = r.fee_per_minute_micros
from credit_reservations r where r.call_id = c.call_id and c.trade_id is not null;
update cdrs set billing_status = 'rated' where rated_at is not null;

drop index if exists cdrs_unrated;
create index cdrs_pending on cdrs (created_at, call_id) where billing_status = 'pending';
create index cdrs_quarantined on cdrs (quarantined_at, call_id) where billing_status = 'quarantined';
alter table cdrs add constraint cdrs_rated_status check ((billing_status = 'rated') = (rated_at is not null));
