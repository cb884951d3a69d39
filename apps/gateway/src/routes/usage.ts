import { Router } from 'express';
import { usageSummary, USAGE_GROUPS, type UsageFilter, type UsageGroup } from '@voc/pipeline';
import type { GatewayDeps } from '../deps';
import { ApiError } from '../errors';
import { parseAsin } from '../validation';
import { queryParam } from './params';

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;
const DEFAULT_GROUPS: UsageGroup[] = ['day', 'model', 'stage'];

const invalid = (field: string, message: string) => new ApiError('invalid_query', `${field}: ${message}`, [{ field, message }]);

function parseGroups(raw: string | undefined): UsageGroup[] {
  if (raw === undefined) return DEFAULT_GROUPS;
  const groups = raw.split(',').map((g) => g.trim()).filter(Boolean);
  const bad = groups.filter((g) => !(USAGE_GROUPS as readonly string[]).includes(g));
  if (bad.length) throw invalid('groupBy', `unknown ${bad.map((b) => `'${b.slice(0, 20)}'`).join(', ')}; expected a comma-separated subset of ${USAGE_GROUPS.join(', ')}`);
  return [...new Set(groups)] as UsageGroup[];
}

function parseDay(field: string, raw: string | undefined): Date | undefined {
  if (raw === undefined) return undefined;
  const d = new Date(`${raw}T00:00:00Z`);
  if (!DAY.test(raw) || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== raw) throw invalid(field, 'expected a date YYYY-MM-DD');
  return d;
}

function parseName(field: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (!NAME.test(raw)) throw invalid(field, 'expected a name of letters, digits and . _ : -');
  return raw;
}

/** GET /v1/usage — LLM calls, tokens and cost from llm_usage, summed by day, model, stage, product or service. */
export function usageRoutes(deps: GatewayDeps): Router {
  const router = Router();
  router.get('/v1/usage', async (req, res) => {
    const groupBy = parseGroups(queryParam(req, 'groupBy'));
    const from = parseDay('from', queryParam(req, 'from'));
    const to = parseDay('to', queryParam(req, 'to'));
    if (from && to && from > to) throw invalid('from', 'must not be after to');
    const asin = queryParam(req, 'asin');
    const filter: UsageFilter = {
      ...(from ? { from } : {}),
      ...(to ? { to } : {}),
      ...(asin !== undefined ? { asin: parseAsin(asin) } : {}),
      ...Object.fromEntries((['model', 'stage', 'service'] as const).flatMap((k) => {
        const v = parseName(k, queryParam(req, k));
        return v === undefined ? [] : [[k, v]];
      })),
    };
    const { rows, totals } = await usageSummary(deps.db, groupBy, filter);
    res.json({ groupBy, filter: { ...filter, from: queryParam(req, 'from') ?? null, to: queryParam(req, 'to') ?? null }, currency: 'CNY', totals, rows, generatedAt: new Date().toISOString() });
  });
  return router;
}
