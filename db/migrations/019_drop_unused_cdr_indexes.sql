-- Two partial indexes on cdrs that no query uses any more: billing finds its work through
-- cdrs_pending (billing_status = 'pending'). Each cost every CDR written and every CDR rated an
-- index entry.
drop index if exists cdrs_unposted;
drop index if exists cdrs_unrated;
