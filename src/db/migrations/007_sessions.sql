CREATE TABLE sessions (
  id_sha256  text PRIMARY KEY,
  user_id    bigint NOT NULL REFERENCES users (id),
  csrf       text NOT NULL,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
