import type { FiveW } from '../domain';

export interface DimensionSummary {
  name: string;
  description: string;
  total: number;
  positive: number;
  negative: number;
  neutral: number;
  mixed: number;
  /** Representative quotes (most helpful reviews first). */
  quotes: { positive: string[]; negative: string[] };
}

export interface LabelShare {
  label: string;
  count: number;
  /** count ÷ reviews with a theme of that category. */
  share: number;
}

/** What report-svc stores in reports.content and the gateway serves (JSON or HTML). */
export interface ReportContent {
  asin: string;
  title: string | null;
  generatedAt: string;
  learning: { version: number; learnedAt: string | null; learnedFromReviews: number } | null;
  reviews: {
    total: number;
    averageRating: number | null;
    byRating: Record<'1' | '2' | '3' | '4' | '5', number>;
    byCategory: { vip: number; standard: number; short: number };
  };
  coverage: {
    translated: number;
    withInsights: number;
    withThemes: number;
    failed: number;
    /** translated ÷ total, 0 when there are no reviews. */
    translationRatio: number;
  };
  dimensions: DimensionSummary[];
  personas: Record<FiveW, LabelShare[]>;
}
