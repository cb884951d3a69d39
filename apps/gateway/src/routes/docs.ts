import { Router } from 'express';
import { openApiDocument } from '../openapi';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** GET /openapi.json and GET /docs (a plain page: no scripts, no CDN). Both are public. */
export function docsRoutes(): Router {
  const router = Router();
  const doc = openApiDocument();
  const body = JSON.stringify(doc);
  const paths = doc.paths as Record<string, Record<string, { summary?: string }>>;
  const rows = Object.entries(paths)
    .flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([method]) => method !== 'parameters')
        .map(([method, op]) => `<tr><td><code>${method.toUpperCase()}</code></td><td><code>${esc(path)}</code></td><td>${esc(op.summary ?? '')}</td></tr>`),
    )
    .join('\n');
  const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>VOC gateway API</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:70em}td{padding:.3em .8em;border-bottom:1px solid #ddd;vertical-align:top}</style></head>
<body><h1>VOC gateway API</h1><p>Machine-readable description: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).
Every <code>/v1</code> route needs <code>Authorization: Bearer &lt;key&gt;</code>.</p>
<table>${rows}</table></body></html>`;

  router.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(body);
  });
  router.get('/docs', (_req, res) => {
    res.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'").type('html').send(page);
  });
  return router;
}
