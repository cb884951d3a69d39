import {
  MalformedAnswerError,
  parseInsightAnswer,
  parseLearningAnswer,
  parseThemeAnswer,
  parseTranslateBatchAnswer,
  parseTranslateSingleAnswer,
} from '../src';

/** The details of the MalformedAnswerError `fn` throws (fails the test if it does not throw one). */
function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MalformedAnswerError);
    return (err as MalformedAnswerError).details;
  }
  throw new Error('expected a MalformedAnswerError');
}

describe('parseTranslateSingleAnswer', () => {
  it('keeps the translation, dropping only whole-answer wrappers', () => {
    expect(parseTranslateSingleAnswer('  简直是个次品！用了两天就坏了。\n')).toBe('简直是个次品！用了两天就坏了。');
    expect(parseTranslateSingleAnswer('译文：简直是个次品！')).toBe('简直是个次品！');
    expect(parseTranslateSingleAnswer('"简直是个次品！"')).toBe('简直是个次品！');
    expect(parseTranslateSingleAnswer('```\n简直是个次品！\n```')).toBe('简直是个次品！');
    expect(parseTranslateSingleAnswer('他说“好”，我说“不好”')).toBe('他说“好”，我说“不好”');
  });

  it('rejects an empty answer or an unterminated fence', () => {
    expect(problems(() => parseTranslateSingleAnswer('  \n'))).toEqual(['empty translation']);
    expect(problems(() => parseTranslateSingleAnswer('```\n半句'))).toEqual(['unterminated code fence']);
  });
});

describe('parseTranslateBatchAnswer', () => {
  const input = { r1: 'Great', r2: 'Broke fast', r3: 'OK' };
  const good = { r1: '很棒', r2: '很快就坏了', r3: '还行' };

  it('accepts exactly the input keys with string values, also inside prose or fences', () => {
    expect(parseTranslateBatchAnswer(JSON.stringify(good), input)).toEqual(good);
    expect(parseTranslateBatchAnswer(`好的：\n\`\`\`json\n${JSON.stringify(good, null, 2)}\n\`\`\`\n完毕`, input)).toEqual(good);
  });

  it('rejects missing keys, extra keys, non-string and empty values, naming each', () => {
    expect(problems(() => parseTranslateBatchAnswer(JSON.stringify({ r1: '很棒', r3: '还行' }), input))).toEqual(['missing key r2']);
    expect(problems(() => parseTranslateBatchAnswer(JSON.stringify({ ...good, r4: '多余' }), input))).toEqual(['unexpected key r4']);
    expect(problems(() => parseTranslateBatchAnswer(JSON.stringify({ ...good, r2: 42, r3: null }), input))).toEqual([
      'r2: expected a string, got number',
      'r3: expected a string, got null',
    ]);
    expect(problems(() => parseTranslateBatchAnswer(JSON.stringify({ ...good, r1: ['很棒'] }), input))).toEqual(['r1: expected a string, got array']);
    expect(problems(() => parseTranslateBatchAnswer(JSON.stringify({ ...good, r2: ' ' }), input))).toEqual(['r2: empty translation']);
  });

  it('rejects truncated and non-JSON answers', () => {
    expect(problems(() => parseTranslateBatchAnswer('{"r1": "很棒", "r2": "很快', input))[0]).toMatch(/truncated/);
    expect(problems(() => parseTranslateBatchAnswer('r1: 很棒', input))[0]).toMatch(/no JSON object/);
  });
});

describe('parseInsightAnswer', () => {
  const input = {
    review: 'The battery died after 2 days. Great price though! Setup was easy.',
    dimensions: [{ name: '电池续航' }, { name: '性价比' }, { name: 'Ease of use' }],
  };
  const insight = (dimension: string, quote: string, sentiment = 'negative') => ({ dimension, sentiment, quote, analysis: '用户对此不满。' });
  const good = {
    insights: [insight('电池续航', 'battery died after 2 days'), insight('性价比', 'Great price', 'positive'), insight('ease of use ', 'setup was easy', 'positive')],
  };

  it('returns validated insights with dimension names in the given spelling', () => {
    const out = parseInsightAnswer(JSON.stringify(good), input);
    expect(out.map((i) => i.dimension)).toEqual(['电池续航', '性价比', 'Ease of use']);
  });

  it('rejects too few or too many insights', () => {
    expect(problems(() => parseInsightAnswer(JSON.stringify({ insights: good.insights.slice(0, 2) }), input))).toEqual(['expected 3–5 insights, got 2']);
    const six = { insights: [...good.insights, ...good.insights] };
    expect(problems(() => parseInsightAnswer(JSON.stringify(six), input))).toEqual(['expected 3–5 insights, got 6']);
  });

  it('rejects a dimension not in the list and a quote not in the review', () => {
    const bad = { insights: [insight('外观', 'battery died'), insight('性价比', 'terrible price'), good.insights[2]] };
    expect(problems(() => parseInsightAnswer(JSON.stringify(bad), input))).toEqual([
      'insights.0.dimension: "外观" is not one of the given dimensions',
      'insights.1.quote: "terrible price" is not in the review',
    ]);
  });

  it('rejects wrong types, unknown sentiments and unknown keys', () => {
    const wrongType = { insights: [{ ...good.insights[0], quote: ['battery died'] }, ...good.insights.slice(1)] };
    expect(problems(() => parseInsightAnswer(JSON.stringify(wrongType), input))[0]).toMatch(/^insights\.0\.quote:/);
    const badSentiment = { insights: [{ ...good.insights[0], sentiment: 'very negative' }, ...good.insights.slice(1)] };
    expect(problems(() => parseInsightAnswer(JSON.stringify(badSentiment), input))[0]).toMatch(/^insights\.0\.sentiment:/);
    const extraKey = { insights: [{ ...good.insights[0], confidence: 0.9 }, ...good.insights.slice(1)] };
    expect(problems(() => parseInsightAnswer(JSON.stringify(extraKey), input))[0]).toMatch(/confidence/);
    expect(problems(() => parseInsightAnswer(JSON.stringify({ insights: 'none' }), input))[0]).toMatch(/^insights:/);
  });
});

describe('parseThemeAnswer', () => {
  const input = {
    review: 'Bought it as a Christmas gift for my son. He uses it at home every day.',
    labels: { who: [{ name: '宝妈宝爸' }, { name: '学生' }], when: [{ name: '节日送礼' }], where: [{ name: '家中' }] },
  };
  const good = {
    themes: [
      { category: 'who', label: '宝妈宝爸', quote: 'for my son' },
      { category: 'when', label: '节日送礼', quote: 'a Christmas gift' },
      { category: 'where', label: '家中', quote: 'at home' },
    ],
  };

  it('accepts labels of their own category, and an empty list', () => {
    expect(parseThemeAnswer(JSON.stringify(good), input)).toEqual(good.themes);
    expect(parseThemeAnswer('{"themes": []}', input)).toEqual([]);
  });

  it('drops an exact repeat of a (category, label) pair', () => {
    const repeated = { themes: [...good.themes, { category: 'who', label: '宝妈宝爸', quote: 'my son' }] };
    expect(parseThemeAnswer(JSON.stringify(repeated), input)).toHaveLength(3);
  });

  it('rejects a label of another category, an unknown category, a foreign quote, too many per category', () => {
    const wrongCategory = { themes: [{ category: 'where', label: '节日送礼', quote: 'at home' }] };
    expect(problems(() => parseThemeAnswer(JSON.stringify(wrongCategory), input))).toEqual(['themes.0.label: "节日送礼" is not a given where label']);
    expect(problems(() => parseThemeAnswer(JSON.stringify({ themes: [{ category: 'how', label: '家中', quote: 'at home' }] }), input))[0]).toMatch(/^themes\.0\.category:/);
    expect(problems(() => parseThemeAnswer(JSON.stringify({ themes: [{ category: 'where', label: '家中', quote: 'in the office' }] }), input))).toEqual([
      'themes.0.quote: "in the office" is not in the review',
    ]);
    const three = { themes: [{ category: 'who', label: '宝妈宝爸', quote: 'my son' }, { category: 'who', label: '学生', quote: 'He uses it' }, { category: 'who', label: '学生 ', quote: 'every day' }] };
    expect(parseThemeAnswer(JSON.stringify(three), input)).toHaveLength(2);
    const labels3 = { ...input, labels: { ...input.labels, who: [...input.labels.who, { name: '上班族' }] } };
    const tooMany = { themes: [...three.themes.slice(0, 2), { category: 'who', label: '上班族', quote: 'every day' }] };
    expect(problems(() => parseThemeAnswer(JSON.stringify(tooMany), labels3))).toEqual(['3 who labels, at most 2 allowed']);
  });

  it('rejects wrong types', () => {
    expect(problems(() => parseThemeAnswer(JSON.stringify({ themes: JSON.stringify(good.themes) }), input))[0]).toMatch(/^themes:/);
  });
});

describe('parseLearningAnswer', () => {
  const named = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => ({ name: `${prefix}${i}`, description: `${prefix}${i} 的说明` }));
  const good = {
    dimensions: named('维度', 6),
    labels: { who: named('人群', 3), when: named('时机', 2), where: named('地点', 2), what: named('用途', 4), why: named('动机', 3) },
  };

  it('accepts 5–8 dimensions and 2–6 labels in every category', () => {
    expect(parseLearningAnswer(`\`\`\`json\n${JSON.stringify(good)}\n\`\`\``)).toEqual(good);
  });

  it('rejects wrong counts, a missing category, duplicates and wrong types', () => {
    expect(problems(() => parseLearningAnswer(JSON.stringify({ ...good, dimensions: named('维度', 3) })))[0]).toMatch(/^dimensions:/);
    expect(problems(() => parseLearningAnswer(JSON.stringify({ ...good, dimensions: named('维度', 9) })))[0]).toMatch(/^dimensions:/);
    const { why: _why, ...fourW } = good.labels;
    expect(problems(() => parseLearningAnswer(JSON.stringify({ ...good, labels: fourW })))[0]).toMatch(/^labels\.why:/);
    const dup = { ...good, dimensions: [...named('维度', 5), { name: '维度0', description: '重复' }] };
    expect(problems(() => parseLearningAnswer(JSON.stringify(dup)))).toEqual(['duplicate dimension "维度0"']);
    expect(problems(() => parseLearningAnswer(JSON.stringify({ ...good, dimensions: good.dimensions.map((d) => d.name) })))[0]).toMatch(/^dimensions\.0:/);
    expect(problems(() => parseLearningAnswer(JSON.stringify({ ...good, dimensions: [...named('维度', 5), { name: '空', description: ' ' }] })))[0]).toMatch(/^dimensions\.5\.description:/);
  });
});
