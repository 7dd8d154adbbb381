import type { NextFunction, Request, Response } from 'express';
import { Refusal } from '../shared/refusal.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** router.param('id', uuidParam): an id that is not a UUID is a 400 naming it, never a database error. */
export function uuidParam(_req: Request, _res: Response, next: NextFunction, value: string): void {
  if (!UUID.test(value)) {
    next(new Refusal('validation', 'must be a UUID', { field: 'id' }));
    return;
  }
  next();
}
