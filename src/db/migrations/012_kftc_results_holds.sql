-- Issue 18: FB0110 cancellations, FB0120 results, the trace-number setting per organisation, legal holds.

-- A batch's cancellation records (해지구분 Y), after its registrations.
ALTER TABLE export_batches ADD COLUMN cancellation_ids uuid[] NOT NULL DEFAULT '{}';
-- An ended consent is reported once, in the next FB0110 of its organisation.
ALTER TABLE consents ADD COLUMN cancellation_batch_id bigint REFERENCES export_batches (id),
                     ADD COLUMN cancellation_reported_at timestamptz;
CREATE INDEX consents_cancellations_waiting ON consents (organization_code)
  WHERE ended_at IS NOT NULL AND sent_at IS NOT NULL AND cancellation_reported_at IS NULL;

-- How the FB0110 trace number (전문추적번호) is written for an organisation: blank (the VAN
-- generates it) or mapped from the registration (R00) file's date, sequence and serial.
CREATE TABLE kftc_organization_settings (
  organization_code text PRIMARY KEY,
  trace_number      text NOT NULL CHECK (trace_number IN ('blank', 'registration')),
  updated_by        text NOT NULL,
  updated_at        timestamptz NOT NULL DEFAULT now()
);

-- Every result file read (FB0120), with what it said.
CREATE TABLE kftc_result_files (
  id                bigserial PRIMARY KEY,
  format            text NOT NULL,
  name              text NOT NULL,
  sha256            text NOT NULL,
  organization_code text NOT NULL,
  processing_date   text NOT NULL,
  total             integer NOT NULL,
  normal            integer NOT NULL,
  errors            integer NOT NULL,
  matched           integer NOT NULL,
  unmatched         jsonb NOT NULL,
  received_by       text NOT NULL,
  received_at       timestamptz NOT NULL DEFAULT now()
);

-- The registration result of each consent, as the last result file said.
CREATE TABLE consent_registrations (
  consent_id     uuid PRIMARY KEY REFERENCES consents (id) ON DELETE CASCADE,
  status         text NOT NULL CHECK (status IN ('accepted', 'rejected', 'resubmitted')),
  code           text NOT NULL,
  reason         text NOT NULL,
  result_file_id bigint REFERENCES kftc_result_files (id),
  result_file    text NOT NULL,
  received_at    timestamptz NOT NULL
);
CREATE INDEX consent_registrations_status ON consent_registrations (status);

-- Legal holds (R7 in a dispute): a held consent is never purged. Released holds stay as history.
CREATE TABLE consent_holds (
  id          bigserial PRIMARY KEY,
  consent_id  uuid NOT NULL REFERENCES consents (id) ON DELETE CASCADE,
  reason      text NOT NULL,
  held_by     text NOT NULL,
  held_at     timestamptz NOT NULL DEFAULT now(),
  released_by text,
  released_at timestamptz
);
CREATE UNIQUE INDEX consent_holds_active ON consent_holds (consent_id) WHERE released_at IS NULL;
