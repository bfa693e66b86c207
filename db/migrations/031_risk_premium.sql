-- The buyer's risk premium: basis points of the trade price from its credit grade, priced into
-- what it pays for each call (billing/core/rating.ts), reserved with the rest of the price (the
-- reservation's legs carry it), stored on the CDR with the other terms, and posted to the
-- exchange's own `risk_premium` account.

-- The premium the buyer's grade carried when the trade was made, shown with the trade.
alter table trades add column buyer_premium_bps integer check (buyer_premium_bps between 0 and 10000);
create function trades_buyer_premium() returns trigger language plpgsql as $$
begin
  if new.buyer_premium_bps is null then
    new.buyer_premium_bps := coalesce(
      (select premium_bps from credit_assessments where carrier_id = new.buyer_id order by created_at desc limit 1), 0);
  end if;
  return new;
end $$;
create trigger trades_buyer_premium before insert on trades for each row execute function trades_buyer_premium();
update trades set buyer_premium_bps = 0 where buyer_premium_bps is null;
alter table trades alter column buyer_premium_bps set not null;

-- A CDR's premium terms (null on CDRs from before: no premium) and the premium it was charged.
alter table cdrs
  add column premium_bps integer check (premium_bps between 0 and 10000),
  add column premium_amount_micros bigint check (premium_amount_micros >= 0);
alter table cdrs drop constraint cdrs_check;
alter table cdrs add constraint cdrs_buyer_pays_all check (
  buyer_amount_micros is null or buyer_amount_micros = seller_amount_micros + fee_amount_micros + coalesce(premium_amount_micros, 0));

-- The exchange's risk premium account kind. The list of kinds is extended where it stands (other
-- migrations may have added kinds of their own), not rewritten.
do $$
declare
  definition text;
begin
  select pg_get_constraintdef(oid) into definition from pg_constraint
  where conrelid = 'ledger_accounts'::regclass and conname = 'ledger_accounts_kind_check';
  if definition is not null and position('risk_premium' in definition) = 0 then
    alter table ledger_accounts drop constraint ledger_accounts_kind_check;
    execute 'alter table ledger_accounts add constraint ledger_accounts_kind_check '
      || replace(definition, 'ARRAY[', 'ARRAY[''risk_premium''::text, ');
  end if;
end $$;
