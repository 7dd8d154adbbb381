import nock from 'nock';
import { afterEach } from 'vitest';

// No test reaches the network: only loopback, where the app under test listens.
nock.disableNetConnect();
nock.enableNetConnect(/^(127\.0\.0\.1|localhost)(:\d+)?$/);

afterEach(() => {
  nock.cleanAll();
});
