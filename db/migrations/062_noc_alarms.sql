-- Alarm rules as data, and the alarms they raise. A rule raises an alarm for a scope when its
-- metric crosses `threshold` over `window` with at least `min_attempts` attempts, and clears it
-- only once the metric is back past `clear_threshold` (hysteresis: no flapping around one line).
create table alarm_rules (
  id               text primary key check (id ~ '^[a-z0-9_]{1,64}$'),
  description      text not null,
  metric           text not null check (metric in ('asr', 'acd_s', 'ner', 'pdd_ms', 'short_call_ratio', 'cps', 'cps_vs_hour', 'watch_listed', 'trunk_down')),
  scope_kind       text not null check (scope_kind in ('exchange', 'buyer_destination', 'seller_destination', 'trunk')),
  time_window      text not null default 'short' check (time_window in ('short', 'long')),
  comparison       text not null check (comparison in ('below', 'above')),
  threshold        double precision not null,
  clear_threshold  double precision not null,
  min_attempts     integer not null default 0 check (min_attempts >= 0),
  action           text not null default 'notify' check (action in ('notify', 'block_buyer_trunk', 'seller_out_of_routing', 'lower_cps')),
  -- For lower_cps: the call rate the trunk is held to while the alarm is raised.
  action_cps       integer check (action_cps > 0),
  enabled          boolean not null default true,
  updated_at       timestamptz not null default now(),
  check (action <> 'lower_cps' or action_cps is not null),
  check ((comparison = 'below' and clear_threshold >= threshold) or (comparison = 'above' and clear_threshold <= threshold))
);

create table alarms (
  id               bigserial primary key,
  rule_id          text not null references alarm_rules(id),
  scope_kind       text not null,
  scope_id         text not null,
  destination_id   text not null default '',
  state            text not null default 'raised' check (state in ('raised', 'acknowledged', 'cleared')),
  value            double precision,
  message          text not null,
  action           text not null,
  control_id       bigint references routing_controls(id),
  node_id          text not null,
  raised_at        timestamptz not null default now(),
  acknowledged_at  timestamptz,
  acknowledged_by  text,
  cleared_at       timestamptz,
  cleared_by       text
);
-- One open alarm per rule and scope, whichever node saw it first.
create unique index alarms_open on alarms (rule_id, scope_kind, scope_id, destination_id) where state <> 'cleared';
create index alarms_recent on alarms (raised_at desc);

insert into alarm_rules (id, description, metric, scope_kind, time_window, comparison, threshold, clear_threshold, min_attempts, action) values
  ('asr_low', 'A seller answers under 20% of calls to a destination (5 minutes, at least 50 attempts)', 'asr', 'seller_destination', 'short', 'below', 0.20, 0.30, 50, 'notify'),
  ('pdd_high', 'A seller''s post-dial delay on a destination is over 8 s (5 minutes, at least 20 attempts)', 'pdd_ms', 'seller_destination', 'short', 'above', 8000, 6000, 20, 'notify'),
  ('cps_spike', 'A trunk''s calls per second over the last 5 minutes are 5 times its average over the rest of the hour', 'cps_vs_hour', 'trunk', 'short', 'above', 5, 2, 50, 'notify'),
  ('traffic_jump', 'A buyer''s calls to a destination are 5 times their usual level (5 minutes against the rest of the hour)', 'cps_vs_hour', 'buyer_destination', 'short', 'above', 5, 2, 50, 'notify'),
  ('short_call_surge', 'Over half of a buyer''s answered calls to a destination are short calls (5 minutes, at least 30 attempts)', 'short_call_ratio', 'buyer_destination', 'short', 'above', 0.5, 0.3, 30, 'notify'),
  ('watch_list', 'Calls to a high-risk prefix on the watch list (MINUTEX_WATCH_LIST_PREFIXES)', 'watch_listed', 'buyer_destination', 'short', 'above', 0, 0, 1, 'notify'),
  ('trunk_down', 'A seller trunk stopped answering OPTIONS pings: it is out of routing until it answers', 'trunk_down', 'trunk', 'short', 'above', 0, 0, 0, 'notify');
