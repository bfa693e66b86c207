-- A carrier's ledger balance (receivable + payable + cash, from its side) cached on its credit
-- account, so that a reservation with plenty of credit is one conditional UPDATE of one row,
-- which holds the row's lock for microseconds instead of a multi-statement transaction.
-- Every credit decision that reads the true balance writes it back here, and billing refreshes it
-- in the transaction that posts charges, so the cache is exact for every committed state.
alter table credit_accounts add column balance_micros bigint not null default 0;

update credit_accounts set balance_micros = credit_ledger_balance_micros(carrier_id, currency);

-- Audit: accounts whose cached balance differs from the ledger. Always empty in a sound database.
create function credit_balance_mismatches() returns table (carrier_id uuid, currency char(3), cached bigint, ledger bigint)
language sql stable as $$
  select a.carrier_id, a.currency, a.balance_micros, credit_ledger_balance_micros(a.carrier_id, a.currency)
  from credit_accounts a
  where a.balance_micros <> credit_ledger_balance_micros(a.carrier_id, a.currency)
$$;
