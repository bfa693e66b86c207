-- One matching writer across the control plane. The node that holds the exchange's advisory lock
-- (on a session of its own) runs the matching engine; it records itself here, with a term one
-- higher than the last leader's, so the other nodes know where to forward orders.
create table exchange_leader (
  id smallint primary key default 1 check (id = 1),
  -- Grows by one each time a node takes the lead; every write of the books names the term it was made in.
  term bigint not null default 0,
  node_id text,
  -- Where the other nodes reach the leader's API to forward order commands.
  api_url text,
  elected_at timestamptz
);
insert into exchange_leader (id) values (1);

-- The fence every write of the books starts with: it refuses the write unless its term is still
-- the current one, and holds the leader row (FOR SHARE) until the write commits. A new leader's
-- claim (an UPDATE of that row) therefore waits for a write already under way, and every write
-- after the claim is refused: an old leader that has not yet noticed it lost its lock cannot
-- fill an order the new leader rebuilt from PostgreSQL.
create function exchange_fence(expected_term bigint) returns void language plpgsql as $$
begin
  perform 1 from exchange_leader where id = 1 and term = expected_term for share;
  if not found then
    raise exception 'the exchange has a new leader: this node no longer writes the books'
      using errcode = 'MXL01';
  end if;
end
$$;
