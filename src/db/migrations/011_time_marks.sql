-- The signed time mark (진본마크) of a consent: a compact JWS, stored with the record and never changed.
ALTER TABLE consents ADD COLUMN time_mark text;

CREATE FUNCTION consents_time_mark_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.time_mark IS NOT NULL AND NEW.time_mark IS DISTINCT FROM OLD.time_mark THEN
    RAISE EXCEPTION 'the time mark of consent % never changes', OLD.id;
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER consents_time_mark_fixed BEFORE UPDATE OF time_mark ON consents
  FOR EACH ROW EXECUTE FUNCTION consents_time_mark_fixed();
