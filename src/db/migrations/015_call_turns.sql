-- A call's log is written a turn at a time: one row per turn holding that turn's events in order
-- (one insert a webhook instead of one per event). Readers keep reading call_events, now a view
-- with one row per event, ordered by id as before. Append-only as before; the retention purge
-- deletes turns the way it deleted events.
CREATE TABLE call_turns (
  id       bigserial PRIMARY KEY,
  call_sid text NOT NULL REFERENCES calls (call_sid),
  at       timestamptz NOT NULL DEFAULT clock_timestamp(),
  -- [{turn, step, kind, detail}, ...] in the order they happened
  events   jsonb NOT NULL CHECK (jsonb_typeof(events) = 'array')
);
CREATE INDEX call_turns_call ON call_turns (call_sid, id);

INSERT INTO call_turns (id, call_sid, at, events)
  SELECT id, call_sid, at, jsonb_build_array(jsonb_build_object('turn', turn, 'step', step, 'kind', kind, 'detail', detail))
    FROM call_events ORDER BY id;
SELECT setval(pg_get_serial_sequence('call_turns', 'id'), COALESCE((SELECT max(id) FROM call_turns), 0) + 1, false);
DROP TABLE call_events;

-- id: the turn's id and the event's place in it (a turn holds far fewer than 1,000 events).
CREATE VIEW call_events AS
  SELECT t.id * 1000 + e.n AS id, t.call_sid, t.at, (e.x->>'turn')::int AS turn, e.x->>'step' AS step, e.x->>'kind' AS kind,
         COALESCE(e.x->'detail', '{}'::jsonb) AS detail
    FROM call_turns t, jsonb_array_elements(t.events) WITH ORDINALITY AS e(x, n);

CREATE OR REPLACE FUNCTION forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'call_turns' AND current_setting('ars.purge', true) = 'on' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END $$;
CREATE TRIGGER call_turns_append_only BEFORE UPDATE OR DELETE ON call_turns
  FOR EACH ROW EXECUTE FUNCTION forbid_change();

-- Room on each page for a call's next state, so that a turn's update need not touch the indexes (HOT).
ALTER TABLE calls SET (fillfactor = 70);
