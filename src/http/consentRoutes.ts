import express from 'express';
import type pg from 'pg';
import { accessLogFor, logAccess, verifyAccessLogChain } from '../audit/store.js';
import { consentJson } from '../consents/consents.js';
import { consentOrigin } from '../consents/origin.js';
import { registrationOf } from '../export/resultStore.js';
import { activeHold } from '../consents/holdStore.js';
import { consentOrRefuse, endAutoDebit, findConsents, verifyConsentFile } from '../consents/useCases.js';
import { actorOf } from './actor.js';
import { allow } from './auth.js';
import { uuidParam } from './params.js';

/** Consent records: the search, one record with its origin, its audio, "verify now", its access log, the end of its auto-debit. */
export function consentRoutes(deps: { pool: pg.Pool }): express.Router {
  const router = express.Router();
  const { pool } = deps;
  const readers = allow('admin', 'auditor');
  router.param('id', uuidParam);

  router.get('/consents', readers, async (req, res) => {
    const consents = await findConsents(pool, req.query as Record<string, unknown>, 500);
    res.json({ consents: consents.map(consentJson), count: consents.length });
  });

  router.get('/consents/:id', readers, async (req, res) => {
    const consent = await consentOrRefuse(pool, String(req.params.id));
    await logAccess(pool, { ...actorOf(req, res), action: 'view', target: `consent:${consent.id}` });
    res.json({ ...consentJson(consent), origin: await consentOrigin(pool, consent), registration: await registrationOf(pool, consent.id), hold: await activeHold(pool, consent.id) });
  });

  router.get('/consents/:id/audio', readers, async (req, res) => {
    const consent = await consentOrRefuse(pool, String(req.params.id));
    const range = req.headers.range;
    // The auditor's page logs a replay when its player starts playing (POST …/replay), not when it preloads;
    // anything else fetching the audio (an API token, a download) is logged now.
    const fromPagePlayer = 'csrf' in (res.locals.principal as object) && !req.query.download;
    if (!fromPagePlayer) await logAccess(pool, { ...actorOf(req, res), action: range ? 'replay' : 'download', target: `consent:${consent.id}`, detail: range ? { range } : {} });
    if (req.query.download) res.attachment(`consent-${consent.id}.mp3`);
    res.setHeader('Content-Type', 'audio/mpeg');
    res.setHeader('Cache-Control', 'private, no-store');
    res.sendFile(consent.filePath, { acceptRanges: true, headers: { 'Content-Type': 'audio/mpeg' } }, (err) => {
      if (err && !res.headersSent) res.status(410).json({ error: 'gone', reason: 'the audio file is missing from storage' });
    });
  });

  /** "Verify now": re-hashes the stored file and says intact or altered. */
  router.post('/consents/:id/verify', readers, async (req, res) => {
    const consent = await consentOrRefuse(pool, String(req.params.id));
    const { result, actualSha256 } = await verifyConsentFile(pool, consent, actorOf(req, res));
    res.json({ id: consent.id, result, intact: result === 'intact', expectedSha256: consent.fileSha256, actualSha256: actualSha256 ?? null });
  });

  router.get('/consents/:id/access-log', readers, async (req, res) => {
    const consent = await consentOrRefuse(pool, String(req.params.id));
    res.json({ entries: await accessLogFor(pool, `consent:${consent.id}`), chain: await verifyAccessLogChain(pool) });
  });

  /** The organisation reports that the auto-debit of this consent ended: its retention clock starts (R7). */
  router.post('/consents/:id/end', allow('admin'), async (req, res) => {
    const consent = await consentOrRefuse(pool, String(req.params.id));
    res.json(consentJson(await endAutoDebit(pool, consent, (req.body ?? {}).endedOn, actorOf(req, res))));
  });

  return router;
}
