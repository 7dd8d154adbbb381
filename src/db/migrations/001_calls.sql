CREATE TABLE payers (
  payer_number    text PRIMARY KEY,
  name            text NOT NULL,
  birth_date      text NOT NULL,
  phone           text NOT NULL,
  business_number text,
  amount_due      bigint,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payers_phone ON payers (phone);

CREATE TABLE calls (
  call_sid     text PRIMARY KEY,
  scenario_id  text NOT NULL,
  from_number  text,
  to_number    text,
  direction    text NOT NULL DEFAULT 'inbound',
  state        jsonb NOT NULL,
  version      integer NOT NULL DEFAULT 0,
  last_twiml   text NOT NULL DEFAULT '',
  step         text NOT NULL,
  outcome      text,
  outcome_detail jsonb,
  payer_number text,
  bank_code    text,
  account_number text,
  started_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  ended_at     timestamptz
);
CREATE INDEX calls_outcome ON calls (outcome);

-- Append-only: every prompt played and every input received, with time.
CREATE TABLE call_events (
  id        bigserial PRIMARY KEY,
  call_sid  text NOT NULL REFERENCES calls (call_sid),
  at        timestamptz NOT NULL DEFAULT clock_timestamp(),
  turn      integer NOT NULL,
  step      text NOT NULL,
  kind      text NOT NULL,
  detail    jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX call_events_call ON call_events (call_sid, id);

CREATE FUNCTION forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END $$;
CREATE TRIGGER call_events_append_only BEFORE UPDATE OR DELETE ON call_events
  FOR EACH ROW EXECUTE FUNCTION forbid_change();
