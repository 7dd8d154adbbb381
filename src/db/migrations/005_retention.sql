-- R7: evidence is kept while the organisation may be audited: until a configured period after the
-- auto-debit ends or the consent is superseded by a newer one; then it is purged.
ALTER TABLE consents ADD COLUMN ended_at timestamptz, ADD COLUMN superseded_at timestamptz;
CREATE INDEX consents_retention ON consents ((coalesce(ended_at, superseded_at))) WHERE ended_at IS NOT NULL OR superseded_at IS NOT NULL;

-- The call's event log stays append-only, except for the retention purge, which says so in its
-- own transaction (SET LOCAL ars.purge = 'on').
CREATE OR REPLACE FUNCTION forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'call_events' AND current_setting('ars.purge', true) = 'on' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END $$;
