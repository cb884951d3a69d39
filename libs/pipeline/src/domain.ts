import type { FiveW } from '@voc/prompts';

/** The 5W label categories of seed 001's "5W modelling": defined once, by the prompts that use them. */
export { FIVE_W, type FiveW } from '@voc/prompts';

export const FIVE_W_TITLES: Record<FiveW, string> = {
  who: 'Who (用户是谁)',
  when: 'When (何时使用)',
  where: 'Where (在哪里使用)',
  what: 'What (用来做什么)',
  why: 'Why (为什么购买)',
};
