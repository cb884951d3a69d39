/**
 * The state machines of the pipeline, each defined once: a review's status
 * per stage (review-stage.ts) and a product's learning state with the rule
 * of when to (re)learn it (learning.ts).
 */
export * from './review-stage';
export * from './learning';
export * from './learning-alarms';
