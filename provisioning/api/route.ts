import type { NextFunction, Request, Response, Router } from 'express';
import type { z } from 'zod';
import type { ApiError } from '../errors.ts';
import { errors } from '../errors.ts';

/*
 * One definition per route: the zod schemas that validate its path, query and body are the same
 * ones the OpenAPI document is generated from, so the document cannot drift from what is enforced.
 */

export type Method = 'get' | 'post' | 'patch' | 'delete';

/** An error a route may answer with, for the document. */
export interface ErrorCase {
  status: number;
  errcode: string;
  description: string;
}

export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  req: Request;
}

export interface RouteSpec<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
  R extends z.ZodType = z.ZodType,
> {
  method: Method;
  /** OpenAPI style, relative to the API prefix: /spaces/{id}. */
  path: string;
  operationId: string;
  tag: string;
  summary: string;
  description?: string;
  params?: P;
  query?: Q;
  body?: B;
  /** The success status (200, 201, 204) and its body. */
  status: number;
  response?: R;
  responseDescription: string;
  errors: ErrorCase[];
  handler(input: RouteInput<z.output<P>, z.output<Q>, z.output<B>>): Promise<z.input<R> | undefined>;
}

/** Any route, whatever its schemas (for lists of routes). */
export type AnyRoute = RouteSpec<z.ZodType, z.ZodType, z.ZodType, z.ZodType>;

export function defineRoute<
  P extends z.ZodType = z.ZodUndefined,
  Q extends z.ZodType = z.ZodUndefined,
  B extends z.ZodType = z.ZodUndefined,
  R extends z.ZodType = z.ZodUndefined,
>(spec: RouteSpec<P, Q, B, R>): AnyRoute {
  return spec as unknown as AnyRoute;
}

/** `invitations[2].email` from a zod path. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))
    .join('.')
    .replace(/\.\[/g, '[');
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field${issue.keys.length > 1 ? 's' : ''}`;
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'required';
  if (issue.code === 'invalid_type' && issue.message.startsWith('Invalid input')) {
    return `must be ${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}`;
  }
  return issue.message;
}

/** A 400 that names every bad field, the first one in the sentence. */
export function validationError(where: 'body' | 'path' | 'query', error: z.ZodError): ApiError {
  const issues = error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: fieldPath([...issue.path, key]), message: 'unknown field' }));
    }
    return [{ field: fieldPath(issue.path) || where, message: issueMessage(issue) }];
  });
  const first = issues[0]!;
  return errors.badRequest(`${first.field}: ${first.message}`, { field: first.field, issues });
}

function parse<S extends z.ZodType>(where: 'body' | 'path' | 'query', schema: S | undefined, value: unknown) {
  if (!schema) return undefined;
  const result = schema.safeParse(value, { reportInput: true });
  if (!result.success) throw validationError(where, result.error);
  return result.data;
}

/** Express path from the OpenAPI one: /spaces/{id} → /spaces/:id. */
export function expressPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, ':$1');
}

export function mountRoutes(router: Router, routes: readonly AnyRoute[]): void {
  for (const route of routes) {
    router[route.method](expressPath(route.path), (req: Request, res: Response, next: NextFunction) => {
      (async () => {
        const params = parse('path', route.params, req.params);
        const query = parse('query', route.query, req.query);
        const body = route.body
          ? parse('body', route.body, req.body === undefined ? {} : req.body)
          : undefined;
        const result = await route.handler({ params, query, body, req });
        if (route.status === 204 || result === undefined) res.status(route.status).end();
        else res.status(route.status).json(result);
      })().catch(next);
    });
  }
}
