import { ConfigError, loadConfig, serviceStartProblem } from './config.js';
import { ScenarioError } from './scenario/loader.js';
import { startService } from './service.js';
import { applyDemoSecrets } from './simulator/demoSecrets.js';

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
    console.log(`API bearer token (kept in ${config.dataDir}/demo-secrets.json): ${config.adminToken}`);
    console.log(`Agent console: ${config.publicBaseUrl}/agent, user "agent", password ${config.demoAgentPassword}`);
  }
  process.removeListener('uncaughtException', startupFailure);
  const stop = async (signal: string) => {
    service.log.info({ signal }, 'stopping');
    await service.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
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
