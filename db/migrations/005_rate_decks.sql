-- A seller's rate deck: an uploaded CSV that became a set of sell orders. Uploading a new deck
-- cancels the open orders of the carrier's earlier decks and submits the new ones in one step.
-- Orders placed one by one have no deck.

create table rate_decks (
  id           uuid primary key default gen_random_uuid(),
  carrier_id   uuid not null references carriers(id),
  currency     char(3) not null check (currency ~ '^[A-Z]{3}$'),
  lines        integer not null check (lines > 0),
  created_at   timestamptz not null default now()
);
create index rate_decks_carrier on rate_decks (carrier_id, created_at desc);

alter table orders add column rate_deck_id uuid references rate_decks(id);
create index orders_rate_deck_open on orders (carrier_id) where rate_deck_id is not null and status = 'open';
