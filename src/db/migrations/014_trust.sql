-- Trust boundary (issue 14).

-- An integration user belongs to one organisation: it makes and reads only that organisation's requests.
ALTER TABLE users ADD COLUMN organization_code text;

-- Failed sign-ins per username (known or not, so that the answer does not tell them apart),
-- counted before the password is checked.
CREATE TABLE login_throttle (
  username     text PRIMARY KEY,
  failures     integer NOT NULL DEFAULT 0,
  locked_until timestamptz,
  updated_at   timestamptz NOT NULL DEFAULT now()
);

-- Facts that, once true, stay true (e.g. "an admin user has been created": ADMIN_TOKEN is then refused).
CREATE TABLE service_facts (
  name   text PRIMARY KEY,
  set_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO service_facts (name) SELECT 'first-admin-created' WHERE EXISTS (SELECT 1 FROM users WHERE role = 'admin');

-- Sessions end after an idle period.
ALTER TABLE sessions ADD COLUMN last_seen_at timestamptz NOT NULL DEFAULT now();

-- Idempotency-Key is the organisation's and the user's; a reuse with another body is refused.
ALTER TABLE consent_requests ADD COLUMN body_sha256 text;
DROP INDEX consent_requests_idempotency;
CREATE UNIQUE INDEX consent_requests_idempotency ON consent_requests (organization_code, requested_by, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- Refused consent requests count toward the organisation's rate limit.
CREATE TABLE consent_request_refusals (
  id                bigserial PRIMARY KEY,
  organization_code text NOT NULL,
  actor             text NOT NULL,
  at                timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX consent_request_refusals_rate ON consent_request_refusals (organization_code, at);
