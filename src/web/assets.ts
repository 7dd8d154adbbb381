import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import express from 'express';

/**
 * The pages' browser code and stylesheet. Browser modules are typed TSX/TS under `src/web/client/`,
 * bundled once per process at start-up, in memory, with esbuild's API: `npm start`, `npm test`
 * and a compiled `dist/` build all serve the same bundles, with nothing to build beforehand.
 * Served under /assets/ with a content hash in the query, so pages can be cached for good.
 */

export const CLIENT_ENTRIES = ['agent', 'verify', 'consent', 'softphone', 'users', 'receipt'] as const;
export type ClientEntry = (typeof CLIENT_ENTRIES)[number];

/**
 * src/web, whether this module runs from src/web (tsx) or from dist/web (compiled). dist/web has a
 * client folder and the stylesheet too (the compiled modules, the copied assets) but not the TSX
 * sources, which are what is bundled.
 */
function webSourceDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [here, path.resolve(here, '../../src/web'), path.resolve(process.cwd(), 'src/web')];
  const found = candidates.find((dir) => CLIENT_ENTRIES.every((name) => existsSync(path.join(dir, 'client', `${name}.tsx`))) && existsSync(path.join(dir, 'style.css')));
  if (!found) throw new Error(`the pages' sources (src/web/client) are not found near ${here}`);
  return found;
}

export type Assets = { js: Map<ClientEntry, string>; css: string; favicon: string; version: string };

let building: Promise<Assets> | undefined;

/** Bundles the browser modules (once per process). */
export function buildAssets(): Promise<Assets> {
  building ??= (async () => {
    const dir = webSourceDir();
    const result = await esbuild.build({
      entryPoints: CLIENT_ENTRIES.map((name) => ({ in: path.join(dir, 'client', `${name}.tsx`), out: name })),
      bundle: true,
      write: false,
      format: 'esm',
      target: ['chrome110', 'firefox110', 'safari16'],
      minify: true,
      jsx: 'automatic',
      jsxImportSource: 'preact',
      outdir: '/assets',
      logLevel: 'silent',
      legalComments: 'none',
    });
    const js = new Map<ClientEntry, string>();
    for (const file of result.outputFiles) js.set(path.basename(file.path, '.js') as ClientEntry, file.text);
    const css = readFileSync(path.join(dir, 'style.css'), 'utf8');
    const favicon = readFileSync(path.join(dir, 'favicon.svg'), 'utf8');
    const { createHash } = await import('node:crypto');
    const version = createHash('sha256').update([...js.values(), css].join('\0')).digest('hex').slice(0, 12);
    return { js, css, favicon, version };
  })();
  return building;
}

let assetVersion = 'dev';
/** The query string pages put on asset URLs (a content hash once the bundles are built). */
export function assetUrl(file: string): string {
  return `/assets/${file}?v=${assetVersion}`;
}

export async function assetRoutes(): Promise<express.Router> {
  const assets = await buildAssets();
  assetVersion = assets.version;
  const router = express.Router();
  const cache = (res: express.Response, req: express.Request) =>
    res.setHeader('Cache-Control', req.query.v === assets.version ? 'public, max-age=31536000, immutable' : 'no-cache');
  router.get('/assets/style.css', (req, res) => {
    cache(res, req);
    res.type('text/css').send(assets.css);
  });
  router.get('/assets/:name.js', (req, res, next) => {
    const body = assets.js.get(req.params.name as ClientEntry);
    if (!body) return next();
    cache(res, req);
    res.type('text/javascript').send(body);
  });
  router.get(['/favicon.ico', '/favicon.svg'], (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=86400');
    res.type('image/svg+xml').send(assets.favicon);
  });
  return router;
}
