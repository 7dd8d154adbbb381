import { createRequire } from 'node:module';
import path from 'node:path';
import express from 'express';
import { openApiDocument } from './openapi.js';

/** The swagger-ui-dist package's folder: its static reference viewer, served from here (no CDN). */
function swaggerUiFolder(): string {
  const require = createRequire(import.meta.url);
  return path.dirname(require.resolve('swagger-ui-dist/package.json'));
}

const PAGE = `<!doctype html>
<html lang="ko">
<head>
  <meta charset="utf-8">
  <title>ARS 출금동의 API</title>
  <link rel="stylesheet" href="docs/assets/swagger-ui.css">
</head>
<body>
  <div id="reference"></div>
  <script src="docs/assets/swagger-ui-bundle.js"></script>
  <script src="docs/init.js"></script>
</body>
</html>
`;

const INIT = `window.ui = SwaggerUIBundle({ url: 'openapi.json', dom_id: '#reference', deepLinking: true });\n`;

/** GET /api/openapi.json (the contract) and /api/docs (a readable reference of it), without a token. */
export function apiDocsRoutes(): express.Router {
  const router = express.Router();
  const document = JSON.stringify(openApiDocument(), null, 2);
  router.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(document);
  });
  router.get('/docs', (req, res) => {
    // Relative asset URLs: /api/docs/ and /api/docs both resolve under /api/.
    if (req.originalUrl.split('?')[0]!.endsWith('/')) {
      res.redirect(301, '../docs');
      return;
    }
    res.type('html').send(PAGE);
  });
  router.get('/docs/init.js', (_req, res) => {
    res.type('application/javascript').send(INIT);
  });
  router.use('/docs/assets', express.static(swaggerUiFolder(), { index: false, maxAge: '1d' }));
  return router;
}
