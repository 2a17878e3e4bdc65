/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies: the assertions check their shape */
import { randomBytes } from 'node:crypto';
import type { TestEnv } from '../../harness/env.ts';

/*
 * A thin HTTP client for the provisioning API as the support team's tools would call it: real
 * requests to the bridge's listener, bearer token, JSON.
 */

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface ApiClient {
  base: string;
  request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    options?: { token?: string | null; contentType?: string; raw?: string },
  ): Promise<ApiResponse<T>>;
  get<T = any>(path: string): Promise<ApiResponse<T>>;
  post<T = any>(path: string, body?: unknown): Promise<ApiResponse<T>>;
  patch<T = any>(path: string, body?: unknown): Promise<ApiResponse<T>>;
  delete<T = any>(path: string): Promise<ApiResponse<T>>;
}

export function apiClient(env: TestEnv): ApiClient {
  const base = `http://127.0.0.1:${env.config.provisioning.port}/_matrix/provision/v1`;
  const request: ApiClient['request'] = async (method, path, body, options = {}) => {
    const token = options.token === undefined ? env.config.provisioning.token : options.token;
    const headers: Record<string, string> = {};
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let payload: string | undefined;
    if (options.raw !== undefined) payload = options.raw;
    else if (body !== undefined) payload = JSON.stringify(body);
    if (payload !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
    const res = await fetch(`${base}${path}`, { method, headers, body: payload });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON: the test looks at the text.
    }
    return { status: res.status, body: parsed as any, headers: res.headers };
  };
  return {
    base,
    request,
    get: (path) => request('GET', path),
    post: (path, body) => request('POST', path, body ?? {}),
    patch: (path, body) => request('PATCH', path, body ?? {}),
    delete: (path) => request('DELETE', path),
  };
}

/** A credentials object the simulator provider accepts. */
export function simulatorCredentials(): { secret: string } {
  return { secret: randomBytes(16).toString('hex') };
}

export const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';
