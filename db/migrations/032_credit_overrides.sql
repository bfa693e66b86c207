-- Operators' overrides of an assessment's terms, each with a reason and an expiry. An override in
-- force replaces the computed term in every assessment made while it lasts; both are kept on the
-- assessment, so a credit manager sees the computed terms beside what was decided by hand. When an
-- override expires or is revoked the carrier is reassessed and the computed term applies again.
create table credit_overrides (
  id          uuid primary key default gen_random_uuid(),
  carrier_id  uuid not null references carriers(id),
  term        text not null check (term in ('unsecured_limit', 'premium_bps', 'decision')),
  -- unsecured_limit: micro-units; premium_bps: basis points; decision: unsecured, secured or refused.
  value       text not null check (length(value) between 1 and 40),
  reason      text not null check (length(reason) between 1 and 500),
  expires_at  timestamptz not null,
  actor       text not null,
  created_at  timestamptz not null default now(),
  revoked_at  timestamptz,
  revoked_by  text
);
create index credit_overrides_carrier on credit_overrides (carrier_id, expires_at) where revoked_at is null;
