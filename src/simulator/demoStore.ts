import type { Db } from '../db/database.js';

/**
 * Demo mode's one write of its own: the demo agent's password follows demo-secrets.json. `users`
 * is owned by src/users/store.ts (being written in parallel): after the merge this statement
 * belongs there, and this file goes.
 */

const RESET_DEMO_AGENT_PASSWORD = "UPDATE users SET password_hash = $1 WHERE username = 'agent' AND role = 'agent'";

export async function resetDemoAgentPassword(db: Db, passwordHash: string): Promise<void> {
  await db.query(RESET_DEMO_AGENT_PASSWORD, [passwordHash]);
}
