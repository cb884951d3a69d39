/** The review an extraction prompt (insight, theme) is about. */
export interface ReviewFields {
  review: string;
  translation?: string;
  rating?: number;
}

/** Those fields as the prompts' JSON input carries them: rating (if any), review, translation (if any). */
export function reviewFields(r: ReviewFields): ReviewFields {
  return {
    ...(r.rating !== undefined ? { rating: r.rating } : {}),
    review: r.review,
    ...(r.translation !== undefined ? { translation: r.translation } : {}),
  };
}
