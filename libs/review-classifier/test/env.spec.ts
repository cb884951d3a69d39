import { ConfigError } from '@voc/config';
import { classifierConfigFromEnv, DEFAULT_CLASSIFIER_CONFIG, planBatches } from '../src';

function problemsOf(env: NodeJS.ProcessEnv): ConfigError['problems'] {
  try {
    classifierConfigFromEnv(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be rejected`);
}

describe('classifierConfigFromEnv', () => {
  it('defaults to the seed values', () => {
    expect(classifierConfigFromEnv({})).toEqual(DEFAULT_CLASSIFIER_CONFIG);
  });

  it('treats empty variables as unset', () => {
    expect(classifierConfigFromEnv({ CLASSIFIER_VIP_LENGTH: '', CLASSIFIER_MAX_BATCH_CHARS: '' })).toEqual(
      DEFAULT_CLASSIFIER_CONFIG,
    );
  });

  it('reads every variable', () => {
    expect(
      classifierConfigFromEnv({
        CLASSIFIER_VIP_LENGTH: '250',
        CLASSIFIER_VIP_EXTREME_LENGTH: '120',
        CLASSIFIER_EXTREME_RATINGS: ' 1, 2 ,5',
        CLASSIFIER_SHORT_MAX_LENGTH: '40',
        CLASSIFIER_BATCH_VIP: '2',
        CLASSIFIER_BATCH_STANDARD: '3',
        CLASSIFIER_BATCH_SHORT: '30',
        CLASSIFIER_MAX_BATCH_CHARS: '4000',
      }),
    ).toEqual({
      vipLength: 250,
      vipExtremeRatingLength: 120,
      extremeRatings: [1, 2, 5],
      shortMaxLength: 40,
      batchSize: { vip: 2, standard: 3, short: 30 },
      maxBatchChars: 4000,
    });
  });

  it('feeds planBatches', () => {
    const config = classifierConfigFromEnv({ CLASSIFIER_BATCH_SHORT: '30' });
    const reviews = Array.from({ length: 60 }, () => ({ body: 'fine', rating: 4 }));
    expect(planBatches(reviews, config)).toHaveLength(2);
  });

  it.each([
    ['CLASSIFIER_VIP_LENGTH', 'abc'],
    ['CLASSIFIER_VIP_EXTREME_LENGTH', '-1'],
    ['CLASSIFIER_EXTREME_RATINGS', '1,six'],
    ['CLASSIFIER_EXTREME_RATINGS', '0,5'],
    ['CLASSIFIER_SHORT_MAX_LENGTH', '1.5'],
    ['CLASSIFIER_BATCH_VIP', '0'],
    ['CLASSIFIER_BATCH_STANDARD', 'five'],
    ['CLASSIFIER_BATCH_SHORT', '-20'],
    ['CLASSIFIER_MAX_BATCH_CHARS', '0'],
  ])('rejects %s=%j, naming the variable once', (variable, value) => {
    // Once: coherence checks wait until every field parses, so one bad value
    // is not reported again as an incoherent threshold.
    expect(problemsOf({ [variable]: value }).map((p) => p.variable)).toEqual([variable]);
  });

  it('reports every bad variable at once, in a message naming the service', () => {
    let message = '';
    try {
      classifierConfigFromEnv({ CLASSIFIER_BATCH_VIP: '0', CLASSIFIER_BATCH_SHORT: 'x' });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^review-classifier: invalid configuration/);
    expect(message).toContain('CLASSIFIER_BATCH_VIP');
    expect(message).toContain('CLASSIFIER_BATCH_SHORT');
  });

  it('rejects incoherent thresholds against the variable at fault', () => {
    const short = problemsOf({ CLASSIFIER_SHORT_MAX_LENGTH: '200' });
    expect(short).toEqual([
      { variable: 'CLASSIFIER_SHORT_MAX_LENGTH', message: expect.stringContaining('CLASSIFIER_VIP_LENGTH (200)') },
    ]);
    // Lowering the vip length below the defaults makes both others incoherent.
    const vip = problemsOf({ CLASSIFIER_VIP_LENGTH: '50' });
    expect(vip.map((p) => p.variable).sort()).toEqual(['CLASSIFIER_SHORT_MAX_LENGTH', 'CLASSIFIER_VIP_EXTREME_LENGTH']);
  });
});
