-- The switch's edge (switch/kamailio/minutex-edge.cfg) reads two things from here at start:
-- the scanners' User-Agents it drops (Kamailio's secfilter table) and the addresses of carriers'
-- trunks, the only sources whose requests reach routing.

-- Kamailio's modules check the version of the tables they read.
create table if not exists version (
  table_name    varchar(32) primary key,
  table_version integer not null default 0
);

-- action 0 = blacklist, type 0 = User-Agent (matched as a case-insensitive substring).
create table secfilter (
  id     serial primary key,
  action smallint not null default 0,
  type   smallint not null default 0,
  data   varchar(64) not null default ''
);
insert into version (table_name, table_version) values ('secfilter', 1);
insert into secfilter (action, type, data) values
  (0, 0, 'friendly-scanner'), (0, 0, 'sipvicious'), (0, 0, 'sipcli'), (0, 0, 'sip-scan'),
  (0, 0, 'sundayddr'), (0, 0, 'iwar'), (0, 0, 'sivus'), (0, 0, 'smap'), (0, 0, 'vaxsipuseragent'),
  (0, 0, 'vaxasterisk'), (0, 0, 'pplsip'), (0, 0, 'sipptk'), (0, 0, 'sipscan'), (0, 0, 'siparmyknife'),
  (0, 0, 'gulp');

-- Every trunk address, ingress (calls arrive from it) and egress (a seller's in-dialog requests
-- come from it), in the shape htable's `cols` loading expects: a key and a value.
create view switch_trunk_sources as
  select distinct host(host) as key_name, '1'::text as key_value from trunks;
