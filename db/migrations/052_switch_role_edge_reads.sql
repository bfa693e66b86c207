-- The switch's own database account (migration 040) may also read what its edge loads at start
-- (minutex-edge.cfg): the trunk addresses it lets through (a view over trunks: the view's owner
-- reads the table, the switch sees addresses only), the scanners it drops, and the table versions
-- Kamailio's modules check. Still nothing of the ledger, the CDRs or the carriers.
do $$
begin
  if exists (select 1 from pg_roles where rolname = 'minutex_switch') then
    grant select on switch_trunk_sources, secfilter, version to minutex_switch;
  end if;
end $$;
