-- Capacity leases: channels (of an ingress trunk, a seller's trunk or a trade) and calls per second
-- (of an ingress trunk) shared by several control-plane nodes the way credit is: each node holds a
-- number of slots of a resource, and the slots all live nodes hold never add up to more than the
-- resource's limit. A node routes on its own slots in memory (control/calls/capacity-leases.ts);
-- a node that dies stops renewing and its slots stop counting at expires_at.
create table capacity_leases (
  resource    text not null check (resource ~ '^(ingress|egress|trade|cps):[0-9a-f-]{36}$'),
  node_id     text not null references control_nodes(id),
  slots       integer not null check (slots >= 0),
  expires_at  timestamptz not null,
  updated_at  timestamptz not null default now(),
  primary key (resource, node_id)
);
create index capacity_leases_node on capacity_leases (node_id);
