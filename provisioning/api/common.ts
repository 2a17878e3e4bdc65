import { z } from 'zod';
import type { ErrorCase } from './route.ts';

/** Schemas and error cases shared by the routes. */

export const uuid = z.uuid({ error: 'must be a UUID' });

export const spaceParams = z.strictObject({ id: uuid.meta({ description: 'The space.' }) });

export function spaceAnd<K extends string>(key: K, description: string) {
  return z.strictObject({
    id: uuid.meta({ description: 'The space.' }),
    ...({ [key]: uuid.meta({ description }) } as Record<K, typeof uuid>),
  });
}

export const timestamp = z.string().meta({ description: 'ISO 8601 date-time (UTC).', format: 'date-time' });

export const forceQuery = z.strictObject({
  force: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .optional()
    .meta({ description: 'Also close open conversations (archived, with a notice in their rooms).' }),
});

export const errorBody = z
  .object({
    errcode: z.string().meta({ description: 'Stable machine-readable code, e.g. LC_NOT_FOUND.' }),
    error: z.string().meta({ description: 'A sentence for people.' }),
    field: z.string().optional().meta({ description: 'LC_BAD_REQUEST: the first bad field.' }),
    issues: z
      .array(z.object({ field: z.string(), message: z.string() }))
      .optional()
      .meta({ description: 'LC_BAD_REQUEST: every bad field.' }),
  })
  .catchall(z.unknown())
  .meta({ description: 'Every error. Some errcodes add details (numbers) next to these fields.' });

/** Errors every authenticated route can answer with. */
export const COMMON_ERRORS: ErrorCase[] = [
  { status: 400, errcode: 'LC_BAD_REQUEST', description: 'A path, query or body field is invalid (named).' },
  { status: 401, errcode: 'LC_UNAUTHORIZED', description: 'No bearer token.' },
  { status: 403, errcode: 'LC_FORBIDDEN', description: 'Wrong bearer token.' },
];

export const BODY_ERRORS: ErrorCase[] = [
  { status: 400, errcode: 'LC_BAD_JSON', description: 'The body is not valid JSON.' },
  { status: 413, errcode: 'LC_TOO_LARGE', description: 'The body is larger than 1 MB.' },
  { status: 415, errcode: 'LC_UNSUPPORTED_MEDIA', description: 'The body is not application/json.' },
];

export const notFound = (what: string): ErrorCase => ({
  status: 404,
  errcode: 'LC_NOT_FOUND',
  description: `${what} does not exist (or belongs to another space).`,
});

export const MATRIX_ERROR: ErrorCase = {
  status: 502,
  errcode: 'LC_MATRIX_UNAVAILABLE',
  description: 'The homeserver refused or did not answer; nothing was changed. Try again.',
};

/** Whole numbers as the API takes them, with a message that says so. */
export function wholeNumber(min: number, max: number) {
  const message = `must be a whole number ≥ ${min}${max < Number.MAX_SAFE_INTEGER ? ` and ≤ ${max}` : ''}`;
  return z.number({ error: message }).int({ error: message }).min(min, { error: message }).max(max, {
    error: message,
  });
}

export function text(field: string, max: number) {
  return z
    .string({ error: 'must be a string' })
    .trim()
    .min(1, { error: 'must not be empty' })
    .max(max, { error: `must be at most ${max} characters` })
    .meta({ description: field });
}
