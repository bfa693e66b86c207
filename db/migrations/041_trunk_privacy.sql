-- Per-trunk privacy settings (topology hiding and media anchoring are on for every call):
-- direct_media: media flows straight between the carriers instead of through the exchange's relay,
--   for a call whose buyer trunk and seller trunk both ask for it (each accepts that the other side
--   learns its media address).
-- identity_policy (seller trunks): what the seller receives of the caller's asserted identity:
--   'pass' the buyer's P-Asserted-Identity (and Privacy) under the exchange's domain, 'strip' neither,
--   'assert' the calling number asserted by the exchange.
alter table trunks
  add column direct_media boolean not null default false,
  add column identity_policy text not null default 'pass' check (identity_policy in ('pass', 'strip', 'assert'));
