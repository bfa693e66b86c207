-- The credit bureau's monitoring alerts (a company's report changed), each taken once: a bureau
-- delivers at least once, so an alert delivered again is recognised by its id and changes nothing.
create table bureau_alerts (
  id           text primary key check (length(id) between 1 and 200),
  type         text not null,
  bureau_id    text not null,
  -- How many carriers filed under the company were reassessed for it.
  reassessed   integer not null default 0,
  received_at  timestamptz not null default now()
);
