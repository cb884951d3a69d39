import type { Request, RequestParamHandler } from 'express';
import { ApiError } from '../errors';
import { parseAsin } from '../validation';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `router.param('asin', asinParam)`: a bad ASIN is a 400 before any handler runs. */
export const asinParam: RequestParamHandler = (_req, _res, next, value: string) => {
  try {
    parseAsin(value);
    next();
  } catch (err) {
    next(err);
  }
};

/** The route's `:asin` (already checked by asinParam). */
export const asinOf = (req: Request): string => req.params.asin as string;

/** One query parameter as a string; repeated (`?limit=1&limit=2`) or nested values are a 400. */
export function queryParam(req: Request, name: string): string | undefined {
  const v: unknown = req.query[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new ApiError('invalid_query', `query parameter '${name}' must be given once`, [{ field: name, message: 'given more than once' }]);
  return v;
}
