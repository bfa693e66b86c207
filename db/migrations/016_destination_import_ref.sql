-- The destination import that last wrote each prefix, so that every control-plane node, told of
-- an import by its id, reads just the prefixes it created or moved. No index: an import is read
-- once per node, and a scan of even a million prefixes is cheaper than keeping an index up to date
-- through every import.
alter table destination_prefixes add column import_id uuid;

-- A million-prefix import spends most of its time checking and indexing prefixes one by one.
-- Prefixes are digits, so byte order ("C") sorts them exactly as the database's collation does,
-- and compares them several times faster; and a character-set check costs a fraction of a
-- regular expression run on every row.
alter table destination_prefixes drop constraint destination_prefixes_prefix_check;
alter table destination_prefixes alter column prefix type text collate "C";
alter table destination_prefixes add constraint destination_prefixes_prefix_check
  check (length(prefix) between 1 and 15 and ltrim(prefix, '0123456789') = '');
