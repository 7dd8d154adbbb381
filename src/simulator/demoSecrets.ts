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

/** `adminPassword` and `auditorPassword` sign in the demo's `admin` and `auditor` users. */
export type DemoSecrets = { authToken: string; adminToken: string; agentPassword: string; adminPassword: string; auditorPassword: string; secretsKey: string };

export function readDemoSecrets(dataDir: string): Partial<DemoSecrets> | undefined {
  try {
    const s = JSON.parse(readFileSync(demoSecretsFile(dataDir), 'utf8')) as Record<string, unknown>;
    if (typeof s.authToken === 'string' && typeof s.adminToken === 'string') {
      const optional = (k: 'agentPassword' | 'adminPassword' | 'auditorPassword' | 'secretsKey') => (typeof s[k] === 'string' ? { [k]: s[k] as string } : {});
      return { authToken: s.authToken, adminToken: s.adminToken, ...optional('agentPassword'), ...optional('adminPassword'), ...optional('auditorPassword'), ...optional('secretsKey') };
    }
  } catch {
    /* none yet */
  }
  return undefined;
}

/**
 * Applies the stored demo secrets to the config (creating what is missing once); an explicit
 * ADMIN_TOKEN wins. Returns them, with the demo agent's password for the agent console.
 */
export function applyDemoSecrets(config: Config, explicitAdminToken: boolean, explicitSecretsKey = false): DemoSecrets {
  const stored = readDemoSecrets(config.dataDir);
  const secrets: DemoSecrets = {
    authToken: stored?.authToken ?? randomBytes(16).toString('hex'),
    adminToken: stored?.adminToken ?? randomBytes(18).toString('base64url'),
    agentPassword: stored?.agentPassword ?? `demo-${randomBytes(9).toString('base64url')}`,
    adminPassword: stored?.adminPassword ?? `demo-${randomBytes(9).toString('base64url')}`,
    auditorPassword: stored?.auditorPassword ?? `demo-${randomBytes(9).toString('base64url')}`,
    secretsKey: stored?.secretsKey ?? randomBytes(32).toString('base64'),
  };
  if (stored?.agentPassword === undefined || stored.adminPassword === undefined || stored.auditorPassword === undefined || stored.secretsKey === undefined) {
    mkdirSync(config.dataDir, { recursive: true });
    writeFileSync(demoSecretsFile(config.dataDir), JSON.stringify(secrets), { mode: 0o600 });
  }
  config.twilio.authToken = secrets.authToken;
  if (!explicitAdminToken) config.adminToken = secrets.adminToken;
  config.demoAgentPassword = secrets.agentPassword;
  config.demoAdminPassword = secrets.adminPassword;
  config.demoAuditorPassword = secrets.auditorPassword;
  if (!explicitSecretsKey) config.secretsKey = Buffer.from(secrets.secretsKey, 'base64');
  return secrets;
}
