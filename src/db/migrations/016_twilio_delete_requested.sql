-- When the delete of a recording at Twilio was sent. A delete whose result was never recorded (the
-- process or the database gone right after Twilio answered) is retried by asking Twilio whether the
-- recording is still there, not by deleting it a second time.
ALTER TABLE recordings ADD COLUMN twilio_delete_requested_at timestamptz;
