/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies: the assertions check their shape */
import { describe, expect, it } from 'vitest';
import { createProviderRegistry } from '../../../bridge/providers/index.ts';
import { Router } from 'express';
import type { MatrixGateway } from '../../../bridge/matrix/gateway.ts';
import type { MessagingService } from '../../../bridge/messaging/service.ts';
import type { Database } from '../../../bridge/store/db.ts';
import { parseConfig } from '../../../config/load.ts';
import { buildProvisioningApp } from '../../../provisioning/app.ts';
import { API_PREFIX } from '../../../provisioning/server.ts';

const config = parseConfig({
  homeserver: { url: 'http://localhost:8008', domain: 'example.com' },
  publicUrl: 'https://livechat.example.com',
  provisioning: { token: 'a-token-of-sixteen-chars' },
  database: { url: 'postgres://unused/unused' },
});

function build() {
  // Building the app registers routes only; no handler runs, so nothing talks to a database or homeserver.
  return buildProvisioningApp({
    config,
    db: {} as Database,
    matrix: { botUserId: '@livechat:example.com', domain: 'example.com' } as MatrixGateway,
    providers: createProviderRegistry(config),
    clock: { now: () => new Date() },
    messaging: { publicRoutes: Router() } as unknown as MessagingService,
    wakeEmails: () => undefined,
    wakeEffects: () => undefined,
  });
}

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  rawPath?: string;
}

/** Every `METHOD /path` the express app answers, found by walking its routers. */
function walk(stack: Layer[], prefix = ''): string[] {
  return stack.flatMap((layer) => {
    if (layer.route) {
      return Object.entries(layer.route.methods)
        .filter(([method, on]) => on && method !== '_all')
        .map(([method]) => `${method.toUpperCase()} ${prefix}${layer.route!.path}`);
    }
    if (layer.handle?.stack) {
      const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
      return walk(layer.handle.stack, prefix + mount);
    }
    return [];
  });
}

describe('the OpenAPI document', () => {
  const { app, document } = build();
  const doc = document() as {
    openapi: string;
    paths: Record<string, Record<string, Record<string, unknown>>>;
    'x-provider-credentials': Record<string, unknown>;
  };

  it('documents exactly the routes the router serves under the API prefix', () => {
    const served = walk((app as unknown as { router: { stack: Layer[] } }).router.stack)
      .filter((r) => r.split(' ')[1]!.startsWith(API_PREFIX))
      .map((r) => r.replace(API_PREFIX, '').replace(/:(\w+)/g, '{$1}'))
      .sort();
    const documented = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    expect(served.length).toBeGreaterThan(20);
    expect(served).toEqual(documented);
    // The pages outside the prefix are there too (HTML, not part of the API document).
    expect(walk((app as unknown as { router: { stack: Layer[] } }).router.stack)).toContain(
      'GET /invitations/:token',
    );
  });

  it('is OpenAPI 3.1 with parameters, bodies, responses and errcodes from the validating schemas', () => {
    expect(doc.openapi).toBe('3.1.0');
    const create = doc.paths['/spaces']!.post!;
    const body = (create.requestBody as { content: Record<string, { schema: Record<string, any> }> }).content[
      'application/json'
    ]!.schema;
    expect(body.required).toEqual(['name', 'seats']);
    expect(body.properties.seats).toMatchObject({ type: 'integer', minimum: 0 });
    expect(body.additionalProperties).toBe(false);
    const responses = create.responses as Record<string, any>;
    expect(responses['201'].content['application/json'].schema.properties.seats.properties).toHaveProperty(
      'available',
    );
    expect(responses['400'].content['application/json'].schema.properties.errcode.enum).toEqual([
      'LC_BAD_REQUEST',
      'LC_BAD_JSON',
    ]);
    expect(responses['502'].description).toMatch(/^LC_MATRIX_UNAVAILABLE/);

    const invite = doc.paths['/spaces/{id}/invitations']!.post!.responses as Record<string, any>;
    expect(invite['409'].content['application/json'].schema.properties.errcode.enum).toEqual([
      'LC_ALREADY_INVITED',
      'LC_NO_SEATS',
    ]);
    const list = doc.paths['/spaces/{id}/conversations']!.get!.parameters as Record<string, any>[];
    expect(list.map((p) => [p.name, p.in, p.required])).toEqual([
      ['id', 'path', true],
      ['state', 'query', false],
      ['limit', 'query', false],
      ['before', 'query', false],
    ]);
    expect(list.find((p) => p.name === 'limit')!.schema).toMatchObject({
      type: 'integer',
      minimum: 1,
      maximum: 200,
    });
    expect(doc.paths['/openapi.json']!.get!.security).toEqual([]);
    expect(doc['x-provider-credentials']).toMatchObject({
      simulator: { channels: ['sms', 'whatsapp'], credentials: { required: ['secret'] } },
    });
  });

  it('names every operation once', () => {
    const ids = Object.values(doc.paths).flatMap((ops) => Object.values(ops).map((op) => op.operationId));
    expect(new Set(ids).size).toBe(ids.length);
  });
});
