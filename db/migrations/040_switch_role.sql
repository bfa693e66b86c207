-- Kamailio's own database account: it writes its records of calls' answers and ends
-- (switch_call_records) and can do nothing else: no reading of the ledger, the CDRs, the carriers
-- or even of its own records. The control plane gives the role a password at start (when it may)
-- and renders the switch's config with it; an operator may manage it instead
-- (MINUTEX_SWITCH_DATABASE_URL). Roles belong to the whole PostgreSQL cluster, so the role may
-- exist already (another database of the cluster); a migration user that may not create roles
-- leaves it to the operator, and the switch then keeps the control plane's account.
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'minutex_switch') then
    create role minutex_switch login nosuperuser nocreatedb nocreaterole noinherit;
  end if;
exception
  when insufficient_privilege then raise notice 'minutex_switch not created: no privilege to create roles';
  when duplicate_object or unique_violation then null;
end $$;

do $$
begin
  if exists (select 1 from pg_roles where rolname = 'minutex_switch') then
    revoke all on all tables in schema public from minutex_switch;
    grant insert on switch_call_records to minutex_switch;
  end if;
end $$;
