import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

const createdDatabases: string[] = [];

function adminClient(): pg.Client {
  return new pg.Client({ connectionString: inject('testDatabaseServer').replace(/\/[^/]*$/, '/postgres') });
}

/** A fresh, empty database on the test server, for one test file; dropped when the file ends. */
export async function freshDatabase(): Promise<string> {
  const server = inject('testDatabaseServer');
  const name = `t_${inject('testRunId')}_${randomBytes(6).toString('hex')}`;
  const admin = adminClient();
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  createdDatabases.push(name);
  return server.replace(/\/[^/]*$/, `/${name}`);
}

/** Drops the databases this test file made (test/support/setup.ts calls it once the file ends). */
export async function dropTestDatabases(): Promise<void> {
  if (createdDatabases.length === 0) return;
  const admin = adminClient();
  await admin.connect();
  try {
    for (const name of createdDatabases.splice(0)) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

