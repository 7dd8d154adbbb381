-- Every recording status callback, as Twilio sent it (duplicates collapse on sid + status).
CREATE TABLE recording_callbacks (
  id             bigserial PRIMARY KEY,
  recording_sid  text NOT NULL,
  call_sid       text NOT NULL,
  status         text NOT NULL,
  attempt        integer,
  params         jsonb NOT NULL,
  received_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (recording_sid, status)
);
CREATE INDEX recording_callbacks_call ON recording_callbacks (call_sid);

-- One row per recording: what we know of it and what the pipeline did with it.
CREATE TABLE recordings (
  recording_sid   text PRIMARY KEY,
  call_sid        text NOT NULL,
  attempt         integer,
  status          text NOT NULL,           -- completed | absent | failed (Twilio's)
  media_url       text,
  duration_seconds integer,
  channels        integer,
  started_at      timestamptz,
  error_code      text,
  purpose         text NOT NULL,           -- consent | not-consent | unknown
  pipeline        text NOT NULL DEFAULT 'pending',  -- pending | done | failed | skipped
  pipeline_error  text,
  master_path     text,
  master_sha256   text,
  master_bytes    bigint,
  deleted_at_twilio timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX recordings_call ON recordings (call_sid);

CREATE TABLE consents (
  id                  uuid PRIMARY KEY,
  call_sid            text NOT NULL REFERENCES calls (call_sid),
  recording_sid       text NOT NULL UNIQUE REFERENCES recordings (recording_sid),
  attempt             integer NOT NULL,
  status              text NOT NULL,   -- ready | evidence_failed | sent
  method_code         smallint NOT NULL CHECK (method_code IN (4, 5)),
  consent_by          text NOT NULL,   -- key | voice
  service_type        text NOT NULL,
  organization_code   text NOT NULL,
  organization_name   text NOT NULL,
  scenario_id         text NOT NULL,
  payer_number        text NOT NULL,
  holder_name         text NOT NULL,
  holder_id_kind      text NOT NULL,   -- birthDate | businessNumber
  holder_id           text NOT NULL,   -- YYMMDD or 10-digit business number
  phone               text,
  bank_code           text NOT NULL,
  account_number      text NOT NULL,
  application_date    text NOT NULL,   -- YYYYMMDD, Asia/Seoul
  consented_at        timestamptz NOT NULL,
  verification_number text NOT NULL UNIQUE,
  file_extension      text NOT NULL,
  file_path           text NOT NULL,
  file_bytes          integer NOT NULL CHECK (file_bytes <= 307200),
  file_sha256         text NOT NULL,
  bitrate_kbps        integer NOT NULL,
  duration_seconds    numeric(8, 3) NOT NULL,
  encoder             text NOT NULL,
  evidence            jsonb NOT NULL,
  sent_at             timestamptz,
  notified_at         timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX consents_consented_at ON consents (consented_at);
CREATE INDEX consents_payer ON consents (payer_number);
CREATE INDEX consents_status ON consents (status, organization_code, application_date);
