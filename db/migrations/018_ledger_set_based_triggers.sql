-- The ledger's two guards, kept, at the cost of one check per ledger transaction and one update
-- per account per statement instead of per posting row. A billing batch posts 500 calls as 1,500
-- postings to a few hundred accounts, the exchange's revenue account in every one of them: row
-- triggers updated that one row 500 times in one database transaction (each update walking the
-- row's growing chain of versions) and ran 1,500 balance checks at commit.

drop trigger ledger_postings_apply on ledger_postings;
drop function ledger_apply_posting();
drop trigger ledger_postings_balanced on ledger_postings;

-- Cached balances: once per statement, one update per account, in account id order (so that two
-- posters never lock the same accounts in a circle).
create function ledger_apply_postings() returns trigger language plpgsql as $$
declare
  account record;
begin
  for account in select account_id, sum(amount_micros)::bigint as total from new_postings group by account_id order by account_id loop
    update ledger_accounts set balance_micros = balance_micros + account.total where id = account.account_id;
  end loop;
  return null;
end $$;

create trigger ledger_postings_apply after insert on ledger_postings
  referencing new table as new_postings
  for each statement execute function ledger_apply_postings();

-- Balance: checked at commit once per ledger transaction (its postings may arrive in several
-- statements of the same database transaction). The existing function reads new.transaction_id;
-- on ledger_transactions the id is new.id, so it gets a wrapper.
create function ledger_check_new_transaction_balanced() returns trigger language plpgsql as $$
declare
  unbalanced record;
  posting_count integer;
begin
  select count(*) into posting_count from ledger_postings where transaction_id = new.id;
  if posting_count < 2 then
    raise exception 'ledger transaction % has % posting(s); at least two are required', new.id, posting_count
      using errcode = 'check_violation';
  end if;
  select currency, sum(amount_micros) as total into unbalanced
    from ledger_postings where transaction_id = new.id
    group by currency having sum(amount_micros) <> 0 limit 1;
  if found then
    raise exception 'ledger transaction % does not balance: % sums to %', new.id, unbalanced.currency, unbalanced.total
      using errcode = 'check_violation';
  end if;
  return null;
end $$;

create constraint trigger ledger_transactions_balanced
  after insert on ledger_transactions deferrable initially deferred
  for each row execute function ledger_check_new_transaction_balanced();

-- A ledger transaction is closed when the database transaction that made it commits: postings
-- added later would escape the check above, so they are refused.
create function ledger_postings_only_to_new_transactions() returns trigger language plpgsql as $$
declare
  closed bigint;
begin
  select t.id into closed from ledger_transactions t
    where t.id in (select distinct transaction_id from new_postings) and t.created_at <> now() limit 1;
  if found then
    raise exception 'ledger transaction % is closed: postings are added only in the database transaction that creates it', closed
      using errcode = 'check_violation';
  end if;
  return null;
end $$;

create trigger ledger_postings_to_new_transactions after insert on ledger_postings
  referencing new table as new_postings
  for each statement execute function ledger_postings_only_to_new_transactions();

drop function ledger_check_transaction_balanced();

-- Billing posts a batch of calls as one ledger transaction (postings summed per account); the CDR
-- is the subledger line and says which transaction carries it. Once set, that link never changes:
-- a call is posted once, whatever replays or resets happen to its row.
create function cdrs_ledger_link_immutable() returns trigger language plpgsql as $$
begin
  if old.ledger_transaction_id is not null and new.ledger_transaction_id is distinct from old.ledger_transaction_id then
    raise exception 'call % is already posted in ledger transaction %', old.call_id, old.ledger_transaction_id
      using errcode = 'check_violation';
  end if;
  return new;
end $$;

create trigger cdrs_ledger_link_immutable before update of ledger_transaction_id on cdrs
  for each row execute function cdrs_ledger_link_immutable();
