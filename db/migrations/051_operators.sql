-- Named operators: each with a role and a token of its own, of which only the SHA-256 hash is
-- kept. The token from the environment remains as the bootstrap admin only.
create table operators (
  id          uuid primary key default gen_random_uuid(),
  name        text not null unique check (name ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
  role        text not null check (role in ('viewer', 'noc', 'finance', 'admin')),
  token_hash  bytea not null unique,
  created_at  timestamptz not null default now(),
  created_by  text not null,
  last_used_at timestamptz,
  revoked_at  timestamptz
);

-- The first-run login link: a one-time code (hash only) that expires, exchanged once for an
-- admin's token by the live page.
create table operator_login_links (
  code_hash   bytea primary key,
  expires_at  timestamptz not null,
  used_at     timestamptz
);
