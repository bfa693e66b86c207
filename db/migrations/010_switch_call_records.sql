-- The switch's own record of each call's answer and end, written by Kamailio itself (sqlops,
-- asynchronously), so a call's CDR does not depend on the control plane being up when it ends.
-- The control plane reconciles these with its calls and reservations when it starts.
create table switch_call_records (
  call_id  text not null check (length(call_id) between 1 and 256),
  kind     text not null check (kind in ('answered', 'ended')),
  at_us    bigint not null,
  -- For 'ended': who ended it (caller, callee, switch); for 'answered': the leg index.
  detail   text not null default '',
  primary key (call_id, kind)
);
