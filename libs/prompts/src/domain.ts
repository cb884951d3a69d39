/**
 * Domain types of the analysis (seed 001 and contract C5): the dimensions and
 * 5W labels a product learns, and the insights and themes extracted from each
 * review against them.
 */

/** The five theme categories: who uses it, when, where, for what, and why they bought it. */
export const FIVE_W = ['who', 'when', 'where', 'what', 'why'] as const;
export type FiveW = (typeof FIVE_W)[number];

export const SENTIMENTS = ['positive', 'negative', 'neutral', 'mixed'] as const;
export type Sentiment = (typeof SENTIMENTS)[number];

/** An analysis dimension of a product (e.g. 电池续航). */
export interface Dimension {
  name: string;
  description: string;
}

/** A 5W label of a product (e.g. who → 宝妈). */
export interface Label {
  name: string;
  description: string;
}

export type LabelSet = Record<FiveW, Label[]>;

/** What learning discovers for a product: its dimensions and its 5W label set. */
export interface LearnedModel {
  dimensions: Dimension[];
  labels: LabelSet;
}

/** Dimensions or labels as the extraction prompts take them: the description helps but is optional. */
export interface NamedRef {
  name: string;
  description?: string;
}

export interface Insight {
  /** One of the product's dimension names, exactly as given to the prompt. */
  dimension: string;
  sentiment: Sentiment;
  /** A short verbatim excerpt of the review supporting the insight. */
  quote: string;
  /** The analysis, in Chinese. */
  analysis: string;
}

export interface Theme {
  category: FiveW;
  /** One of the product's labels of that category, exactly as given to the prompt. */
  label: string;
  quote: string;
}
