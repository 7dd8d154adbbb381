CREATE TABLE export_batches (
  id                bigserial PRIMARY KEY,
  format            text NOT NULL,
  organization_code text NOT NULL,
  batch_date        text NOT NULL,
  params            jsonb NOT NULL,
  consent_ids       uuid[] NOT NULL,
  file_bytes        bigint NOT NULL,
  file_sha256       text NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX export_batches_key ON export_batches (format, organization_code, batch_date, id);
ALTER TABLE consents ADD COLUMN batch_id bigint REFERENCES export_batches (id);

-- Who replayed, downloaded or exported what, when, from where. Append-only.
CREATE TABLE access_log (
  id      bigserial PRIMARY KEY,
  at      timestamptz NOT NULL DEFAULT now(),
  actor   text NOT NULL,
  action  text NOT NULL,
  target  text NOT NULL,
  remote  text,
  detail  jsonb NOT NULL DEFAULT '{}'
);
CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log
  FOR EACH ROW EXECUTE FUNCTION forbid_change();
