-- The credit module: the scorecard as versioned data, each carrier's identity at the credit
-- bureau, the bureau's reports (the cache of the bureau client and the inputs of assessments), and
-- the history of assessments with everything a credit manager needs to read each decision.

-- Every version of the scorecard ever loaded (control/assessment/scorecards/scorecard-N.json).
-- The highest version is the one in force. A version, once loaded, never changes: a new table of
-- bands is a new version, and loading it is audited.
create table credit_scorecards (
  version     integer primary key check (version > 0),
  content     jsonb not null,
  sha256      text not null check (sha256 ~ '^[0-9a-f]{64}$'),
  loaded_by   text not null,
  loaded_at   timestamptz not null default now()
);

create function credit_scorecards_immutable() returns trigger language plpgsql as $$
begin
  raise exception 'scorecard version % is loaded and cannot change: load a new version', old.version using errcode = 'insufficient_privilege';
end $$;
create trigger credit_scorecards_no_change before update or delete on credit_scorecards
  for each row execute function credit_scorecards_immutable();

-- A carrier's identity at the bureau, given with its first application.
create table credit_profiles (
  carrier_id  uuid primary key references carriers(id),
  bureau_id   text not null check (bureau_id ~ '^[A-Za-z0-9-]{1,64}$'),
  updated_at  timestamptz not null default now()
);

-- Reports as the bureau gave them. The newest row of a company is the client's cache: it is used
-- without asking the bureau while it is younger than the validity period.
create table bureau_reports (
  id              bigserial primary key,
  bureau_id       text not null,
  report_version  integer,
  report          jsonb not null,
  fetched_at      timestamptz not null default now()
);
create index bureau_reports_latest on bureau_reports (bureau_id, fetched_at desc);

-- One row per assessment, never changed: the history a credit manager reads.
create table credit_assessments (
  id                         uuid primary key default gen_random_uuid(),
  carrier_id                 uuid not null references carriers(id),
  currency                   char(3) not null check (currency ~ '^[A-Z]{3}$'),
  scorecard_version          integer not null references credit_scorecards(version),
  -- Why it ran: application, operator, payment, missed_due_date, exposure, bureau_change, schedule.
  trigger                    text not null check (length(trigger) between 1 and 40),
  actor                      text not null,
  -- Where the bureau data came from: bureau (asked now), cache (a valid cached report),
  -- stale_cache (the bureau could not answer: an older report was used), none (no report).
  bureau_source              text not null check (bureau_source in ('bureau', 'cache', 'stale_cache', 'none')),
  bureau_report_id           bigint references bureau_reports(id),
  score                      integer not null,
  grade                      char(1) not null check (grade in ('A', 'B', 'C', 'D', 'E')),
  decision                   text not null check (decision in ('unsecured', 'secured', 'refused')),
  inputs                     jsonb not null,
  points                     jsonb not null,
  reasons                    jsonb not null,
  unsecured_limit_micros     bigint not null check (unsecured_limit_micros >= 0),
  secured_limit_micros       bigint not null check (secured_limit_micros >= 0),
  collateral_required_micros bigint not null check (collateral_required_micros >= 0),
  premium_bps                integer not null check (premium_bps between 0 and 10000),
  terms                      jsonb not null,
  -- The limit credit control holds after this assessment, and the one it held before.
  applied_limit_micros       bigint not null check (applied_limit_micros >= 0),
  previous_limit_micros      bigint not null check (previous_limit_micros >= 0),
  created_at                 timestamptz not null default clock_timestamp()
);
create index credit_assessments_latest on credit_assessments (carrier_id, created_at desc);

create function credit_assessments_immutable() returns trigger language plpgsql as $$
begin
  raise exception 'an assessment is history and cannot change' using errcode = 'insufficient_privilege';
end $$;
create trigger credit_assessments_no_change before update or delete on credit_assessments
  for each row execute function credit_assessments_immutable();

-- Who set a credit account's limit last: an operator by hand, or an assessment. Assessments move
-- only limits they set themselves; a limit an operator typed stands until an operator hands it
-- back to assessments (POST /v1/carriers/{id}/credit-assessment with "apply_limit": true).
alter table credit_accounts add column limit_source text not null default 'operator' check (limit_source in ('operator', 'assessment'));
