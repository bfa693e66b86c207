-- The control plane's record of its route decision (JSON: the call's buyer, currency, tariff
-- terms, lease and hold), handed to Kamailio with the decision and written by Kamailio with its
-- own 'answered' record, so an answered call can be rated from the switch's records alone when
-- the control plane died before writing anything. Null for 'ended' records and older rows.
alter table switch_call_records
  add column decision_record text check (decision_record is null or length(decision_record) <= 2000);
