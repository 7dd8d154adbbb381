-- The access log as a hash chain: each row's hash covers its content and the previous row's hash,
-- so a removed or altered row shows (UPDATE and DELETE are already refused by a trigger).
ALTER TABLE access_log ADD COLUMN prev_hash text, ADD COLUMN row_hash text;

CREATE FUNCTION access_log_row_hash(r access_log) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT encode(sha256(convert_to(concat_ws('|', r.id, extract(epoch FROM r.at)::text, r.actor, r.action, r.target,
    coalesce(r.remote, ''), r.detail::text, coalesce(r.prev_hash, '')), 'UTF8')), 'hex')
$$;

CREATE FUNCTION access_log_chain() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(7261002);
  -- Numbered under the lock, so the ids follow the chain's order.
  NEW.id := nextval(pg_get_serial_sequence('access_log', 'id'));
  NEW.prev_hash := coalesce((SELECT row_hash FROM access_log ORDER BY id DESC LIMIT 1), 'genesis');
  NEW.row_hash := access_log_row_hash(NEW);
  RETURN NEW;
END $$;

CREATE TRIGGER access_log_chain BEFORE INSERT ON access_log FOR EACH ROW EXECUTE FUNCTION access_log_chain();
