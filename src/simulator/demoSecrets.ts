import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';

/**
 * Demo mode's Twilio auth token and API token, kept under DATA_DIR so that `npm run call` can sign
 * requests to a running demo service. Real deployments configure their own and never use this.
 */
export function demoSecretsFile(dataDir: string): string {
  return path.join(dataDir, 'demo-secrets.json');
}

export function readDemoSecrets(dataDir: string): { authToken: string; adminToken: string } | undefined {
  try {
    const s = JSON.parse(readFileSync(demoSecretsFile(dataDir), 'utf8')) as { authToken?: unknown; adminToken?: unknown };
    if (typeof s.authToken === 'string' && typeof s.adminToken === 'string') return { authToken: s.authToken, adminToken: s.adminToken };
  } catch {
    /* none yet */
  }
  return undefined;
}

/** Applies the stored demo secrets to the config (creating them once); an explicit ADMIN_TOKEN wins. */
export function applyDemoSecrets(config: Config, explicitAdminToken: boolean): void {
  let secrets = readDemoSecrets(config.dataDir);
  if (!secrets) {
    secrets = { authToken: randomBytes(16).toString('hex'), adminToken: randomBytes(18).toString('base64url') };
    mkdirSync(config.dataDir, { recursive: true });
    writeFileSync(demoSecretsFile(config.dataDir), JSON.stringify(secrets), { mode: 0o600 });
  }
  config.twilio.authToken = secrets.authToken;
  if (!explicitAdminToken) config.adminToken = secrets.adminToken;
}
