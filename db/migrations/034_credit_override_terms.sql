-- Every term of an assessment may be overridden by an operator, with a reason and an expiry: the
-- secured limit (and with it the collateral required), the collateral kinds accepted and the
-- financing terms join the unsecured limit, the premium and the decision.
alter table credit_overrides drop constraint credit_overrides_term_check;
alter table credit_overrides add constraint credit_overrides_term_check check (term in (
  'unsecured_limit', 'secured_limit', 'premium_bps', 'decision', 'collateral_kinds',
  'deferral_days', 'deferral_rate_bps_per_year', 'advance_rate_percent', 'advance_fee_bps'));
