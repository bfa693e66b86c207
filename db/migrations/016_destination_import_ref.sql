-- The destination import that last wrote each prefix, so that every control-plane node, told of
-- an import by its id, reads just the prefixes it created or moved. No index: an import is read
-- once per node, and a scan of even a million prefixes is cheaper than keeping an index up to date
-- through every import.
alter table destination_prefixes add column import_id uuid;
