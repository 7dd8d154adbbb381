import { createHash, randomInt, randomUUID } from 'node:crypto';
import { withTransaction } from '../db/database.js';
import { checkAccountFields } from '../kftc/fields.js';
import { findPayer, payersByNameAndBirthDate, upsertPayer } from '../payers/store.js';
import type { PayerSnapshot } from '../scenario/engine.js';
import { firstProblem } from '../shared/problems.js';
import { Refusal } from '../shared/refusal.js';
import { QUEUES } from '../jobs/queue.js';
import type { Scenario } from '../scenario/schema.js';
import { checkCallbackUrl } from './callbackTarget.js';
import type { ConsentRequestDeps } from './consentRequests.js';
import { nextCallTime, requestInputSchema, type RequestInput, type RequestRow } from './requests.js';
import * as store from './store.js';

/**
 * Making a consent request: who asks (an integration user of one organisation, or an admin),
 * which scenario, the payer (on file, or registered here), the callback target; counted toward
 * the organisation's rate limit whether made or refused.
 */

export type Requester = { actor: string; organizationCode: string | undefined; remote?: string | undefined };

/** One reason for every identity mismatch, never which field: the API is no oracle for a payer's details. */
export const PAYER_MISMATCH = 'the payer details do not match';

const mismatch = () => new Refusal('validation', PAYER_MISMATCH, { message: '납부자 정보가 일치하지 않습니다.' });

export function callerIdFor(deps: ConsentRequestDeps, scenario: Scenario): string | undefined {
  return scenario.outbound.callerId ?? scenario.numbers[0] ?? deps.outbound.callerId;
}

export const scenarioOrganization = (s: Scenario) => s.organization.codes[s.organization.serviceType]!;

/** The scenario asked for, within the requester's organisation (another's is not found). */
function pickScenario(deps: ConsentRequestDeps, requester: Requester, wanted: string | undefined): Scenario {
  const mine = (s: Scenario) => requester.organizationCode === undefined || scenarioOrganization(s) === requester.organizationCode;
  if (wanted !== undefined) {
    const s = deps.scenarios.byId(wanted);
    if (!s || !mine(s)) throw new Refusal('validation', 'no such scenario', { field: 'scenario' });
    return s;
  }
  const fallback = deps.scenarios.forCalledNumber(undefined);
  if (mine(fallback)) return fallback;
  const first = deps.scenarios.all.find(mine);
  if (!first) throw new Refusal('validation', 'no scenario of your organisation', { field: 'scenario' });
  return first;
}

/** Who is called: the payer on file (its phone only), or the one the website names (registered here). */
async function resolvePayer(deps: ConsentRequestDeps, input: RequestInput): Promise<PayerSnapshot> {
  const { payerNumber, name, birthDate, phone } = input;
  const matchesOnFile = (p: PayerSnapshot) =>
    (name === undefined || name === p.name) && (birthDate === undefined || birthDate === p.birthDate) && p.phone === phone;
  if (payerNumber) {
    const onFile = await findPayer(deps.pool, payerNumber);
    if (onFile) {
      if (!matchesOnFile(onFile)) throw mismatch();
      return onFile;
    }
    if (!name || !birthDate) throw new Refusal('validation', 'no payer with that payer number; give name and birthDate with it to register the payer', { field: 'payerNumber' });
    await upsertPayer(deps.pool, { payerNumber, name, birthDate, phone, businessNumber: input.businessNumber });
    return (await findPayer(deps.pool, payerNumber))!;
  }
  if (!name || !birthDate) throw new Refusal('validation', 'give payerNumber, or name and birthDate', { field: name ? 'birthDate' : 'payerNumber' });
  const matches = await payersByNameAndBirthDate(deps.pool, name, birthDate);
  if (matches.length > 1) throw new Refusal('validation', 'several payers have that name and birth date; give payerNumber', { field: 'payerNumber' });
  if (matches[0]) {
    if (!matchesOnFile(matches[0])) throw mismatch();
    return matches[0];
  }
  // A new customer signing up: registered under a payer number the service assigns (returned).
  const assigned = `W${String(randomInt(0, 1e9)).padStart(9, '0')}${String(randomInt(0, 1e4)).padStart(4, '0')}`;
  await upsertPayer(deps.pool, { payerNumber: assigned, name, birthDate, phone, businessNumber: input.businessNumber });
  return (await findPayer(deps.pool, assigned))!;
}

function bodyHash(body: unknown): string {
  return createHash('sha256').update(JSON.stringify(body ?? null)).digest('hex');
}

/** The same key and body: the first request (replayed); the same key with another body: 422. */
function replayOf(row: RequestRow | undefined, hash: string): { row: RequestRow; replayed: true } | undefined {
  if (!row) return undefined;
  if (row.body_sha256 !== null && row.body_sha256 !== hash) {
    throw new Refusal('unprocessable', 'this Idempotency-Key was used with a different body', {
      field: 'Idempotency-Key', message: '같은 Idempotency-Key로 다른 내용의 요청이 이미 있었습니다.',
    });
  }
  return { row, replayed: true };
}

async function refuseIfLimited(deps: ConsentRequestDeps, db: Parameters<typeof store.recentAttempts>[0], organizationCode: string): Promise<void> {
  const { count, oldest } = await store.recentAttempts(db, organizationCode);
  if (count >= deps.outbound.requestsPerMinute) {
    const wait = oldest ? Math.max(1, Math.ceil((oldest.getTime() + 60_000 - Date.now()) / 1000)) : 60;
    throw new Refusal('rate-limited', `at most ${deps.outbound.requestsPerMinute} consent requests a minute for organisation ${organizationCode}; try again in ${wait} s`, { retryAfterSeconds: wait });
  }
}

/** A new request, or (same Idempotency-Key for the organisation and user, same body) the one made before. */
export async function createConsentRequest(
  deps: ConsentRequestDeps,
  requester: Requester,
  body: unknown,
  idempotencyKey?: string,
): Promise<{ row: RequestRow; replayed: boolean }> {
  // Until the scenario is known, an integration's attempts count under its own organisation.
  let organizationCode = requester.organizationCode ?? `actor:${requester.actor}`;
  try {
    await refuseIfLimited(deps, deps.pool, organizationCode);
    if (idempotencyKey !== undefined && !/^[\x21-\x7e]{1,100}$/.test(idempotencyKey)) {
      throw new Refusal('validation', 'must be 1 to 100 printable characters without spaces', { field: 'Idempotency-Key' });
    }
    const parsed = requestInputSchema.safeParse(body);
    if (!parsed.success) {
      const { field, reason } = firstProblem(parsed.error);
      throw new Refusal('validation', reason, { field });
    }
    const input = parsed.data;
    const scenario = pickScenario(deps, requester, input.scenario);
    organizationCode = scenarioOrganization(scenario);
    const hash = bodyHash(body);
    const before = idempotencyKey === undefined ? undefined : replayOf(await store.requestByIdempotencyKey(deps.pool, organizationCode, requester.actor, idempotencyKey), hash);
    if (before) return before;
    const callbackUrl = input.callbackUrl === undefined ? null : await checkCallbackUrl(input.callbackUrl, deps.callbackPolicy);
    const account = checkAccountFields(input.bankCode, input.accountNumber);
    if (!account.ok) throw new Refusal('validation', account.reason, { field: account.field });
    const from = callerIdFor(deps, scenario);
    if (!from) throw new Refusal('unavailable', 'no number to call from: set outbound.callerId in the scenario or OUTBOUND_CALLER_ID');
    const payer = await resolvePayer(deps, input);
    const notBefore = nextCallTime(new Date(), deps.outbound.quietHours);
    const id = randomUUID();
    const made = await withTransaction(deps.pool, async (client) => {
      // One organisation's requests are counted under its lock, so the limit holds across processes.
      await store.lockOrganization(client, organizationCode);
      const earlier = idempotencyKey === undefined ? undefined : replayOf(await store.requestByIdempotencyKey(client, organizationCode, requester.actor, idempotencyKey), hash);
      if (earlier) return earlier;
      await refuseIfLimited(deps, client, organizationCode);
      const row = await store.insertRequest(client, {
        id, organizationCode, scenarioId: scenario.id, payerNumber: payer.payerNumber, holderName: payer.name, birthDate: payer.birthDate,
        businessNumber: payer.businessNumber ?? null, phone: input.phone, bankCode: account.bankCode, accountNumber: account.accountNumber,
        code: String(randomInt(10, 100)), callbackUrl, notBefore, requestedBy: requester.actor, idempotencyKey: idempotencyKey ?? null, bodySha256: hash,
      });
      return { row, replayed: false };
    });
    if (made.replayed) return made;
    try {
      await deps.queue.send(QUEUES.placeConsentCall, { requestId: id }, { singletonKey: `call-${id}`, startAfter: notBefore });
    } catch (err) {
      await store.finishRequest(deps.pool, id, { status: 'failed', reason: 'the call could not be queued' });
      throw err;
    }
    deps.log.info({ requestId: id, organizationCode, notBefore: notBefore.toISOString() }, 'consent request queued');
    return made;
  } catch (err) {
    if (err instanceof Refusal) await refused(deps, requester, organizationCode, err);
    throw err;
  }
}

/** A refused request counts toward the limit and is in the access log with who asked and why. */
async function refused(deps: ConsentRequestDeps, requester: Requester, organizationCode: string, refusal: Refusal): Promise<void> {
  if (refusal.kind !== 'rate-limited') await store.recordRefusal(deps.pool, organizationCode, requester.actor);
  await deps.logAccess({
    actor: requester.actor,
    action: 'consent-request-refused',
    target: `organization:${organizationCode}`,
    remote: requester.remote,
    detail: { kind: refusal.kind, field: refusal.field ?? null, reason: refusal.reason },
  });
}
