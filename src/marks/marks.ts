import { ConfigError, type Config } from '../config.js';
import { demoSigningKey, markKeys, type MarkKeys } from './keys.js';

/**
 * The keys the service signs and publishes marks with: SIGNING_KEY in production (the start stops
 * without it), demo mode's own key under DATA_DIR otherwise; SIGNING_KEYS_RETIRED stay published.
 */
export async function loadMarkKeys(config: Pick<Config, 'demo' | 'dataDir' | 'signing'>): Promise<MarkKeys> {
  const privateKey = config.signing.privateKey ?? (config.demo ? demoSigningKey(config.dataDir) : undefined);
  if (!privateKey) {
    throw new ConfigError('configuration: SIGNING_KEY is required with Twilio credentials (an Ed25519 private key, PEM or JWK; npm run rotate-signing-key makes one)');
  }
  return markKeys(privateKey, config.signing.retired);
}
