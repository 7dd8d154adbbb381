import express from 'express';
import type pg from 'pg';
import { sendPage } from '../web/layout.js';
import { UsersPage } from '../web/usersPage.js';
import { pageSession } from './pages.js';

/** The admin's pages: users (create, role, disable, unlock) and the admin's own API tokens. */
export function adminPages(deps: { pool: pg.Pool }): express.Router {
  const router = express.Router();
  router.get('/admin/users', async (req, res) => {
    const session = await pageSession(deps.pool, req, res, ['admin']);
    if (!session) return;
    sendPage(res, UsersPage({ viewer: session }));
  });
  return router;
}
