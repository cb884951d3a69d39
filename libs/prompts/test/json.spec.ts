import { extractFirstJsonObject } from '../src/json';

describe('extractFirstJsonObject', () => {
  it('takes a bare object, or one wrapped in prose or ``` fences', () => {
    expect(extractFirstJsonObject('{"r1":"a"}')).toEqual({ ok: true, value: { r1: 'a' } });
    expect(extractFirstJsonObject('好的，结果如下：\n{"r1":"a"}\n希望有帮助')).toEqual({ ok: true, value: { r1: 'a' } });
    expect(extractFirstJsonObject('```json\n{\n  "r1": "a}"\n}\n```\n以上')).toEqual({ ok: true, value: { r1: 'a}' } });
  });

  it('is not fooled by braces and quotes inside strings', () => {
    expect(extractFirstJsonObject('{"a":"he said \\"{no}\\" }","b":1}')).toEqual({ ok: true, value: { a: 'he said "{no}" }', b: 1 } });
  });

  it('rejects a truncated object instead of picking an object nested in it', () => {
    const r = extractFirstJsonObject('{"insights":[{"dimension":"质量","quote":"x"},{"dimension":"价');
    expect(r).toEqual({ ok: false, reason: expect.stringContaining('truncated') });
  });

  it('skips a balanced span that is not JSON, without looking inside it', () => {
    expect(extractFirstJsonObject('Note {this is prose {"x":1}} then {"r1":"ok"}')).toEqual({ ok: true, value: { r1: 'ok' } });
  });

  it('reports an answer with no object', () => {
    expect(extractFirstJsonObject('抱歉，我无法完成')).toEqual({ ok: false, reason: 'no JSON object in the answer' });
    expect(extractFirstJsonObject('[1,2]').ok).toBe(false);
  });
});
