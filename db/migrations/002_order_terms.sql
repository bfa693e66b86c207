-- Orders gain the quality they commit to (sell) or need (buy), a validity, and a record of every
-- lifecycle transition. CDR batches find unrated CDRs through an index of their own.

alter table orders
  add column quality_asr_percent integer check (quality_asr_percent between 0 and 100),
  add column quality_acd_s integer check (quality_acd_s >= 0),
  add column quality_pdd_ms integer check (quality_pdd_ms >= 0),
  add column valid_until timestamptz,
  add constraint orders_quality_whole check (
    (quality_asr_percent is null) = (quality_acd_s is null) and (quality_acd_s is null) = (quality_pdd_ms is null));

create table order_events (
  id          bigserial primary key,
  order_id    uuid not null references orders(id),
  kind        text not null,
  channels_open integer not null check (channels_open >= 0),
  details     jsonb not null default '{}',
  at          timestamptz not null default now()
);
create index order_events_order on order_events (order_id, id);

create index cdrs_unrated on cdrs (created_at, call_id) where rated_at is null;
alter table cdrs add constraint cdrs_ledger_transaction_fk foreign key (ledger_transaction_id) references ledger_transactions(id);
