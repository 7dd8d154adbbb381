-- Outbound ARS consent requests: an organisation's website asks the service to call a payer.
CREATE TABLE consent_requests (
  id                uuid PRIMARY KEY,
  organization_code text NOT NULL,
  scenario_id       text NOT NULL,
  payer_number      text NOT NULL,
  holder_name       text NOT NULL,
  birth_date        text NOT NULL,
  business_number   text,
  phone             text NOT NULL,
  bank_code         text NOT NULL,
  account_number    text NOT NULL,
  code              text NOT NULL,
  callback_url      text,
  -- queued | ringing | in-progress | no-answer | busy | consented | declined | failed
  status            text NOT NULL DEFAULT 'queued',
  reason            text,
  call_sid          text UNIQUE,
  consent_id        uuid,
  not_before        timestamptz NOT NULL,
  call_attempted_at timestamptz,
  requested_by      text NOT NULL,
  -- null (no callbackUrl) | waiting | pending | delivered | given-up
  callback_state    text,
  callback_attempts integer NOT NULL DEFAULT 0,
  callback_error    text,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  finished_at       timestamptz
);
CREATE INDEX consent_requests_rate ON consent_requests (organization_code, created_at);
-- A website that sends the same request twice (Idempotency-Key) gets the first one back: one call.
ALTER TABLE consent_requests ADD COLUMN idempotency_key text;
CREATE UNIQUE INDEX consent_requests_idempotency ON consent_requests (organization_code, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- Every attempt to deliver a request's completion callback.
CREATE TABLE consent_request_deliveries (
  id          bigserial PRIMARY KEY,
  request_id  uuid NOT NULL REFERENCES consent_requests (id),
  attempt     integer NOT NULL,
  at          timestamptz NOT NULL DEFAULT now(),
  http_status integer,
  error       text
);
CREATE INDEX consent_request_deliveries_request ON consent_request_deliveries (request_id, id);

-- The secret an organisation's callbacks are signed with (HMAC-SHA256), made at first use.
CREATE TABLE organization_secrets (
  organization_code text PRIMARY KEY,
  secret            text NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now()
);

-- A call placed for a request knows it; a call is live until Twilio says it ended.
ALTER TABLE calls ADD COLUMN request_id uuid, ADD COLUMN hung_up_at timestamptz;

-- Agent-recorded consent (method 4): the marked part of a live call handed to an agent.
CREATE TABLE agent_consents (
  id              uuid PRIMARY KEY,
  call_sid        text NOT NULL REFERENCES calls (call_sid),
  agent           text NOT NULL,
  payer_number    text NOT NULL,
  holder_name     text NOT NULL,
  birth_date      text NOT NULL,
  business_number text,
  phone           text,
  bank_code       text NOT NULL,
  account_number  text NOT NULL,
  scenario_id     text NOT NULL,
  script          text NOT NULL,
  recording_sid   text UNIQUE,
  -- recording | paused | consented | declined | abandoned | failed
  state           text NOT NULL,
  reason          text,
  started_at      timestamptz NOT NULL DEFAULT now(),
  finished_at     timestamptz
);
CREATE INDEX agent_consents_call ON agent_consents (call_sid);
-- At most one marked part in progress on a call.
CREATE UNIQUE INDEX agent_consents_one_live ON agent_consents (call_sid) WHERE state IN ('recording', 'paused');

-- What happened during the marked part, with time (start, pause, resume, finish).
CREATE TABLE agent_consent_events (
  id        bigserial PRIMARY KEY,
  agent_consent_id uuid NOT NULL REFERENCES agent_consents (id),
  at        timestamptz NOT NULL DEFAULT clock_timestamp(),
  kind      text NOT NULL,
  actor     text NOT NULL,
  detail    jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX agent_consent_events_consent ON agent_consent_events (agent_consent_id, id);

-- The organisation's own systems (its website) place consent requests with a role of their own.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('admin', 'agent', 'auditor', 'integration'));
