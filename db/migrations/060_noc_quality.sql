-- Measured quality, a row per calendar minute and scope (the whole exchange, a buyer × destination,
-- a seller × destination, a trunk) and control-plane node: each node measures the calls it routes
-- and adds its groups of rows here off the call path. Ratios (ASR, ACD, NER, PDD) are computed
-- from these sums over any period, so minutes add up exactly into hours and days.
create table quality_minutes (
  minute          timestamptz not null,
  scope_kind      text not null check (scope_kind in ('exchange', 'buyer_destination', 'seller_destination', 'trunk')),
  -- A carrier or trunk id, or '*' for the exchange (text: the exchange scope has no uuid).
  scope_id        text not null,
  destination_id  text not null default '',
  node_id         text not null,
  attempts        bigint not null default 0 check (attempts >= 0),
  answered        bigint not null default 0 check (answered >= 0),
  ner_effective   bigint not null default 0 check (ner_effective >= 0),
  talk_ms         bigint not null default 0 check (talk_ms >= 0),
  pdd_ms_sum      bigint not null default 0 check (pdd_ms_sum >= 0),
  pdd_samples     bigint not null default 0 check (pdd_samples >= 0),
  short_calls     bigint not null default 0 check (short_calls >= 0),
  cutoffs         bigint not null default 0 check (cutoffs >= 0),
  watch_listed    bigint not null default 0 check (watch_listed >= 0),
  -- Failed or refused attempts by reason: { "sip 503": 4, "rejected: no credit": 1 }.
  rejects         jsonb not null default '{}',
  primary key (scope_kind, scope_id, destination_id, minute, node_id)
);
create index quality_minutes_minute on quality_minutes (minute);
