import { renderReportHtml } from '../src/report/render-html';
import type { ReportContent } from '../src/report/types';

const report: ReportContent = {
  asin: 'B00VINDBJK',
  title: 'Kindle <Paperwhite>',
  generatedAt: '2026-11-23T00:00:00Z',
  learning: { version: 1, learnedAt: '2026-11-23T00:00:00Z', learnedFromReviews: 30 },
  reviews: { total: 10, averageRating: 4.5, byRating: { '1': 0, '2': 1, '3': 0, '4': 2, '5': 7 }, byCategory: { vip: 2, standard: 3, short: 5 } },
  coverage: { translated: 9, withInsights: 8, withThemes: 8, failed: 1, translationRatio: 0.9 },
  dimensions: [
    { name: '电池续航', description: 'battery', total: 6, positive: 5, negative: 1, neutral: 0, mixed: 0, quotes: { positive: ['battery lasts weeks'], negative: ['<script>x</script>'] } },
  ],
  personas: { who: [{ label: '学生', count: 3, share: 0.5 }], when: [], where: [], what: [], why: [] },
};

describe('renderReportHtml', () => {
  it('renders counts, charts and quotes, escaping user text', () => {
    const html = renderReportHtml(report);
    expect(html).toContain('Kindle &lt;Paperwhite&gt;');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(html).toContain('90.0%');
    expect(html).toContain('电池续航');
    expect(html).toContain('学生');
    expect((html.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(4);
  });
});
