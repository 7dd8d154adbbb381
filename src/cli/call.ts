import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, serviceStartProblem } from '../config.js';
import { createLogger } from '../log.js';
import { startService, type RunningService } from '../service.js';
import { parseCallerScript } from '../simulator/index.js';
import { applyDemoSecrets, readDemoSecrets } from '../simulator/demoSecrets.js';

const USAGE = [
  'usage: npm run call -- --from +821012345678 --keys "2 19940424 081 75023332200333# 1" [--say 예]',
  '       npm run call -- --request --from +821099990000 --payer 100300 --bank 088 --account 110123456789 [--keys 42]',
  '       (--request: the service calls --from for a consent request; the payer keys in the code, or --keys)',
].join('\n');

async function isUp(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1500) })).ok;
  } catch {
    return false;
  }
}

function print(e: Record<string, any>): void {
  switch (e.kind) {
    case 'ars':
      console.log(`ARS   : ${e.text}`);
      break;
    case 'caller':
      console.log(e.keys !== undefined ? `caller: presses ${e.keys}` : `caller: says "${e.say}"`);
      break;
    case 'recording':
      console.log(`        [recording ${e.action} ${e.sid}]`);
      break;
    case 'note':
      console.log(`        (${e.text})`);
      break;
    case 'ended':
      console.log(`        [call ended: ${e.how}${e.detail ? `, ${e.detail}` : ''}]`);
      break;
    case 'call':
      console.log(`        [CallSid ${e.callSid}]`);
      break;
    case 'consent':
      console.log('\nconsent record:');
      console.log(JSON.stringify(e.consent, null, 2));
      console.log(`\nMP3: ${e.mp3Path}`);
      break;
    case 'consentFailed':
      console.log(`\nno consent record: the recording pipeline failed: ${e.reason}`);
      break;
    case 'noConsent':
      console.log('\nno consent was given on this call');
      break;
    case 'request':
      console.log(`consent request ${e.id}: the website shows the code ${e.code}; the service calls at ${new Date(e.scheduledFor).toISOString()}`);
      break;
    case 'requestDone':
      console.log(`\nconsent request: ${e.request?.status ?? 'unknown'}${e.request?.reason ? ` (${e.request.reason})` : ''}`);
      break;
  }
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        from: { type: 'string' }, keys: { type: 'string' }, say: { type: 'string', multiple: true },
        request: { type: 'boolean' }, payer: { type: 'string' }, bank: { type: 'string' }, account: { type: 'string' },
      },
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  // A Korean number may be given as it is dialled at home: 010-1234-5678.
  values.from = values.from?.replace(/[\s-]/g, '').replace(/^0(?=[1-9]\d{7,9}$)/, '+82');
  if (!values.from || !/^\+\d{6,15}$/.test(values.from)) {
    console.error(USAGE);
    return 2;
  }
  if (values.request && (!values.bank || !values.account)) {
    console.error(`--request needs --bank and --account\n${USAGE}`);
    return 2;
  }
  try {
    if (!values.request) parseCallerScript(values.keys, values.say ?? []);
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const config = loadConfig();
  let service: RunningService | undefined;
  let adminToken = process.env.ADMIN_TOKEN;
  if (!(await isUp(config.publicBaseUrl))) {
    if (!config.demo) {
      console.error(`no service answers at ${config.publicBaseUrl}, and with Twilio credentials configured the simulator does not start one`);
      return 1;
    }
    const problem = serviceStartProblem(config);
    if (problem) {
      console.error(problem);
      return 1;
    }
    console.log(`(no service at ${config.publicBaseUrl}: starting one in demo mode)`);
    applyDemoSecrets(config, Boolean(process.env.ADMIN_TOKEN));
    service = await startService(config, { logger: createLogger('warn') });
    adminToken = config.adminToken;
  }
  adminToken ??= readDemoSecrets(config.dataDir)?.adminToken;
  try {
    const res = await fetch(`${config.publicBaseUrl}/_sim/${values.request ? 'requests' : 'calls'}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${adminToken ?? ''}` },
      body: JSON.stringify(
        values.request
          ? { phone: values.from, payerNumber: values.payer, bankCode: values.bank, accountNumber: values.account, ...(values.keys ? { keys: values.keys } : {}) }
          : { from: values.from, keys: values.keys ?? '', say: values.say ?? [] },
      ),
    });
    if (res.status === 404) {
      console.error(`the service at ${config.publicBaseUrl} is not in demo mode: the simulator runs only without Twilio credentials`);
      return 1;
    }
    if (!res.ok || !res.body) {
      console.error(`the service refused the call (${res.status}): ${await res.text()}`);
      return 1;
    }
    let buffered = '';
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffered += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.trim()) print(JSON.parse(line));
      }
    }
    return 0;
  } finally {
    await service?.close();
  }
}

main()
  .then((code) => process.exit(code))
  .catch((err: Error) => {
    console.error(err instanceof ConfigError ? err.message : `call failed: ${err.message}`);
    process.exit(1);
  });
