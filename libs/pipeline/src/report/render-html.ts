import { FIVE_W, FIVE_W_TITLES } from '../domain';
import type { ReportContent } from './types';

const esc = (s: unknown) =>
  String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** A horizontal bar chart as inline SVG: no scripts, no external assets. */
function bars(rows: { label: string; value: number; color?: string }[], opts: { width?: number } = {}): string {
  const width = opts.width ?? 520;
  const labelW = 170;
  const rowH = 22;
  const max = Math.max(1, ...rows.map((r) => r.value));
  const h = rows.length * rowH + 4;
  const body = rows
    .map((r, i) => {
      const y = i * rowH + 2;
      const w = Math.round(((width - labelW - 60) * r.value) / max);
      return (
        `<text x="${labelW - 6}" y="${y + 15}" text-anchor="end">${esc(r.label)}</text>` +
        `<rect x="${labelW}" y="${y + 3}" width="${w}" height="${rowH - 6}" fill="${r.color ?? '#4e79a7'}"/>` +
        `<text x="${labelW + w + 6}" y="${y + 15}">${r.value}</text>`
      );
    })
    .join('');
  return `<svg class="chart" width="${width}" height="${h}" viewBox="0 0 ${width} ${h}" role="img">${body}</svg>`;
}

/** A stacked positive/negative/neutral bar per dimension. */
function sentimentBars(report: ReportContent): string {
  const width = 640;
  const labelW = 170;
  const rowH = 24;
  const max = Math.max(1, ...report.dimensions.map((d) => d.total));
  const scale = (n: number) => ((width - labelW - 70) * n) / max;
  const rows = report.dimensions.map((d, i) => {
    const y = i * rowH + 2;
    let x = labelW;
    const parts = [
      [d.positive, '#59a14f'],
      [d.neutral + d.mixed, '#bab0ac'],
      [d.negative, '#e15759'],
    ] as const;
    const rects = parts
      .map(([n, color]) => {
        const w = scale(n);
        const r = `<rect x="${x.toFixed(1)}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="${color}"/>`;
        x += w;
        return r;
      })
      .join('');
    return `<text x="${labelW - 6}" y="${y + 16}" text-anchor="end">${esc(d.name)}</text>${rects}<text x="${(x + 6).toFixed(1)}" y="${y + 16}">+${d.positive} / −${d.negative}</text>`;
  });
  const h = report.dimensions.length * rowH + 4;
  return `<svg class="chart" width="${width}" height="${h}" viewBox="0 0 ${width} ${h}" role="img">${rows.join('')}</svg>`;
}

/** The readable page of a ready report (GET /v1/reports/:id with Accept: text/html). */
export function renderReportHtml(report: ReportContent): string {
  const r = report.reviews;
  const c = report.coverage;
  const ratingRows = (['5', '4', '3', '2', '1'] as const).map((k) => ({
    label: `${k} ★`,
    value: r.byRating[k],
    color: Number(k) >= 4 ? '#59a14f' : k === '3' ? '#edc948' : '#e15759',
  }));
  const categoryRows = [
    { label: 'vip (long / extreme)', value: r.byCategory.vip },
    { label: 'standard', value: r.byCategory.standard },
    { label: 'short', value: r.byCategory.short },
  ];
  const dims = report.dimensions
    .map(
      (d) => `<tr><td><b>${esc(d.name)}</b><br><small>${esc(d.description)}</small></td><td>${d.total}</td><td class="pos">${d.positive}</td><td class="neg">${d.negative}</td>
<td>${d.quotes.positive.map((q) => `<q class="pos">${esc(q)}</q>`).join('')}${d.quotes.negative.map((q) => `<q class="neg">${esc(q)}</q>`).join('')}</td></tr>`,
    )
    .join('\n');
  const personas = FIVE_W.map((w) => {
    const rows = report.personas[w].slice(0, 8).map((l) => ({ label: l.label, value: l.count, color: '#76b7b2' }));
    return `<div class="w"><h3>${esc(FIVE_W_TITLES[w])}</h3>${rows.length ? bars(rows, { width: 420 }) : '<p>—</p>'}</div>`;
  }).join('\n');
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>VOC report ${esc(report.asin)}</title>
<style>
body{font:14px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:1000px;color:#222;padding:0 1rem}
h1{margin-bottom:.2rem} .muted{color:#666} .chart text{font-size:12px;fill:#333}
.kpis{display:flex;gap:1rem;flex-wrap:wrap}.kpi{border:1px solid #ddd;border-radius:6px;padding:.6rem 1rem;min-width:8rem}
.kpi b{font-size:1.4rem;display:block} table{border-collapse:collapse;width:100%} td,th{border-bottom:1px solid #eee;padding:.4rem;vertical-align:top;text-align:left}
q{display:block;margin:.2rem 0;padding-left:.5rem;border-left:3px solid #ccc} q.pos{border-color:#59a14f} q.neg{border-color:#e15759}
td.pos{color:#2e7d32} td.neg{color:#c62828} .grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:1rem}
</style></head><body>
<h1>${esc(report.title ?? report.asin)}</h1>
<p class="muted">ASIN ${esc(report.asin)} · generated ${esc(report.generatedAt)}${report.learning ? ` · model v${report.learning.version} learned from ${report.learning.learnedFromReviews} reviews` : ' · not learned yet'}</p>
<div class="kpis">
<div class="kpi"><b>${r.total}</b>reviews</div>
<div class="kpi"><b>${r.averageRating === null ? '—' : r.averageRating.toFixed(2)}</b>average rating</div>
<div class="kpi"><b>${pct(c.translationRatio)}</b>translated (${c.translated})</div>
<div class="kpi"><b>${c.withInsights}</b>reviews with insights</div>
<div class="kpi"><b>${c.withThemes}</b>reviews with themes</div>
<div class="kpi"><b>${c.failed}</b>failed</div>
</div>
<div class="grid">
<section><h2>Rating distribution</h2>${bars(ratingRows, { width: 420 })}</section>
<section><h2>Review categories</h2>${bars(categoryRows, { width: 420 })}</section>
</div>
<h2>Dimensions</h2>
${report.dimensions.length ? sentimentBars(report) : '<p>No insights yet.</p>'}
<table><thead><tr><th>Dimension</th><th>Mentions</th><th>+</th><th>−</th><th>Representative quotes</th></tr></thead><tbody>
${dims}
</tbody></table>
<h2>5W personas</h2>
<div class="grid">${personas}</div>
</body></html>
`;
}
