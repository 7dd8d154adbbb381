import type { Request, Response } from 'express';
import { ErrorPage } from './authPages.js';
import { sendPage } from './layout.js';

/** A request for a page (not the API, not Twilio) that a person's browser made. */
export function wantsPage(req: Request): boolean {
  return !req.path.startsWith('/api') && !req.path.startsWith('/twilio') && req.accepts(['json', 'html']) === 'html';
}

/** The Korean 404 page (JSON for clients that do not ask for HTML). */
export function sendNotFound(req: Request, res: Response): void {
  if (wantsPage(req)) sendPage(res, <ErrorPage status={404} />, 404);
  else res.status(404).json({ error: 'not_found', reason: 'no such page', message: '페이지를 찾을 수 없습니다.' });
}

export function sendPageError(res: Response, status: number): void {
  sendPage(res, <ErrorPage status={status} />, status);
}
