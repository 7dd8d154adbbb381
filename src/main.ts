import { ConfigError, loadConfig, serviceStartProblem } from './config.js';
import { ScenarioError } from './scenario/loader.js';
import { startService } from './service.js';
import { applyDemoSecrets } from './simulator/demoSecrets.js';
import { checkLogin, replaceToken } from './users/users.js';
import { stopEmbeddedOnlyThroughClose } from './db/database.js';

async function main(): Promise<void> {
  // A library failing inside start-up (e.g. the embedded database's binaries cannot run) is one
  // clear line, not a stack trace.
  const startupFailure = (err: Error) => {
    console.error(`start-up failed: ${err.message}`);
    process.exit(1);
  };
  process.once('uncaughtException', startupFailure);
  const config = loadConfig();
  const problem = serviceStartProblem(config);
  if (problem) throw new ConfigError(problem);
  for (const w of config.warnings) console.error(`configuration warning: ${w}`);
  if (config.demo) applyDemoSecrets(config, Boolean(process.env.ADMIN_TOKEN), Boolean(process.env.SECRETS_KEY));
  const service = await startService(config);
  if (config.demo) {
    console.log(`Demo mode (no Twilio credentials): open ${config.publicBaseUrl}/ for the softphone, or run: npm run call -- --from +821012345678 --keys "2 19940424 081 75023332200333# 1"`);
    console.log(`Simulator token for /_sim (kept in ${config.dataDir}/demo-secrets.json): ${config.adminToken}`);
    if (service.db.embedded) {
      console.log(`Agent console: ${config.publicBaseUrl}/agent, user "agent", password ${config.demoAgentPassword}`);
      console.log(`Auditor pages: ${config.publicBaseUrl}/consents, user "auditor", password ${config.demoAuditorPassword}`);
      console.log(`User management: ${config.publicBaseUrl}/admin/users, user "admin", password ${config.demoAdminPassword}`);
      // ADMIN_TOKEN only bootstraps the first admin, and the demo has one: the API takes the admin's personal token.
      const login = await checkLogin(service.db.pool, 'admin', config.demoAdminPassword ?? '');
      // A new one each start; the previous start's is revoked.
      if (login.ok) console.log(`API token of "admin" (for /api): ${await replaceToken(service.db.pool, login.userId, 'demo start-up')}`);
    } else {
      console.log('DEMO=true against DATABASE_URL: no demo users are created there; make them with ADMIN_TOKEN (POST /api/users) until the first admin exists.');
    }
  }
  process.removeListener('uncaughtException', startupFailure);
  stopEmbeddedOnlyThroughClose();
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    service.log.info({ signal }, 'stopping: no new connections, finishing requests in flight');
    try {
      await service.close();
      service.log.info({ signal }, 'stopped');
      process.exit(0);
    } catch (err) {
      service.log.error({ err: (err as Error).message }, 'stopping failed');
      process.exit(1);
    }
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop(signal));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof ScenarioError) {
    console.error(err.message);
  } else {
    const e = err as NodeJS.ErrnoException;
    console.error(e.code === 'EADDRINUSE' ? `start-up: port already in use (${e.message})` : `start-up failed: ${e.message}`);
  }
  process.exit(1);
});
