import type { LlmClient } from '../client';
import {
  buildInsightMessages,
  buildLearningMessages,
  buildThemeMessages,
  parseInsightAnswer,
  parseLearningAnswer,
  parseThemeAnswer,
  reviewFields,
  type Insight,
  type LabelRefs,
  type LearnedModel,
  type NamedRef,
  type Theme,
} from '@voc/prompts';
import { truncateForAnalysis, truncationNote } from '../tokens/truncate';
import { requestOptions, withMalformedRetry, type TaskOptions } from './common';

/** The review (and translation) as analysis sees them: cut by the long-review rule (tokens/truncate.ts). */
function analysedFields(req: { review: string; translation?: string; rating?: number }) {
  const review = truncateForAnalysis(req.review);
  const translation = req.translation !== undefined ? truncateForAnalysis(req.translation) : undefined;
  const fields = reviewFields({ ...req, review: review.text, ...(translation ? { translation: translation.text } : {}) });
  return { fields, review };
}

const EXTRACTION_TEMPERATURE = 0.2;

export interface ExtractInsightsRequest extends TaskOptions {
  review: string;
  /** The Chinese translation, as extra context (quotes may come from either). */
  translation?: string;
  rating?: number;
  /** The product's learned dimensions. */
  dimensions: readonly NamedRef[];
}

/**
 * 3–5 validated insights of one review. A blank review has nothing to quote
 * and yields [] without a call. Malformed answers are retried once, then
 * MalformedAnswerError. A review longer than the long-review rule allows is
 * analysed from its first sentences, and its first insight's analysis says so.
 */
export async function extractInsights(client: LlmClient, req: ExtractInsightsRequest): Promise<Insight[]> {
  if (req.dimensions.length === 0) throw new TypeError(`extractInsights: no dimensions for asin ${req.asin ?? '?'} (product not learned)`);
  if (!req.review.trim()) return [];
  const { fields, review } = analysedFields(req);
  const input = { ...fields, dimensions: req.dimensions };
  const { value } = await withMalformedRetry(() =>
    client.chatParsed(
      { kind: 'insight', messages: buildInsightMessages(input), jsonMode: true, temperature: EXTRACTION_TEMPERATURE, ...requestOptions(req) },
      (answer) => parseInsightAnswer(answer, input),
    ),
  );
  const [first] = value;
  if (review.truncated && first) first.analysis = `${first.analysis}${truncationNote(review)}`;
  return value;
}

export interface ExtractThemesRequest extends TaskOptions {
  review: string;
  translation?: string;
  rating?: number;
  /** The product's learned 5W labels per category. */
  labels: LabelRefs;
}

/**
 * The review's validated 5W themes (possibly none). A blank review yields []
 * without a call. Malformed answers are retried once, then MalformedAnswerError.
 */
export async function extractThemes(client: LlmClient, req: ExtractThemesRequest): Promise<Theme[]> {
  if (!Object.values(req.labels).some((l) => l && l.length > 0)) {
    throw new TypeError(`extractThemes: no labels for asin ${req.asin ?? '?'} (product not learned)`);
  }
  if (!req.review.trim()) return [];
  const input = { ...analysedFields(req).fields, labels: req.labels };
  const { value } = await withMalformedRetry(() =>
    client.chatParsed(
      { kind: 'theme', messages: buildThemeMessages(input), jsonMode: true, temperature: EXTRACTION_TEMPERATURE, ...requestOptions(req) },
      (answer) => parseThemeAnswer(answer, input),
    ),
  );
  return value;
}

export interface LearnProductRequest {
  asin: string;
  title?: string;
  bulletPoints?: readonly string[];
  sampleReviews: readonly string[];
  signal?: AbortSignal;
}

/**
 * Learns a product's dimensions and 5W label set from a sample of its reviews
 * (VIP priority: the product's whole analysis waits for it). Malformed answers
 * are retried once, then MalformedAnswerError.
 */
export async function learnProduct(client: LlmClient, req: LearnProductRequest): Promise<LearnedModel> {
  if (!req.sampleReviews.some((r) => r.trim())) throw new TypeError(`learnProduct: no sample reviews for asin ${req.asin}`);
  const { value } = await withMalformedRetry(() =>
    client.chatParsed(
      {
        kind: 'learning',
        messages: buildLearningMessages(req),
        jsonMode: true,
        temperature: 0.3,
        ...requestOptions({ asin: req.asin, priority: 'vip', ...(req.signal ? { signal: req.signal } : {}) }),
      },
      parseLearningAnswer,
    ),
  );
  return value;
}
