import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigError, expandEnvironment, loadConfig, parseConfig } from '../../config/load.ts';
import { configKeys, generateSample } from '../../config/sample.ts';

const minimal = {
  homeserver: { url: 'http://localhost:8008', domain: 'example.com' },
  publicUrl: 'https://livechat.example.com',
  provisioning: { token: 'a-long-enough-token' },
};

function problemsOf(raw: unknown): string[] {
  try {
    parseConfig(raw);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  return [];
}

describe('configuration', () => {
  it('fills every default from a minimal file', () => {
    const config = parseConfig(minimal);
    expect(config.appservice).toEqual({ id: 'livechat', port: 9993, bindAddress: '127.0.0.1' });
    expect(config.database.url).toBeUndefined();
    expect(config.database.embedded).toEqual({ dataDir: './data/postgres', port: 5433 });
    expect(config.bot.commandPrefix).toBe('!');
    expect(config.ghosts.prefix).toBe('_livechat_');
    expect(config.logging).toEqual({ level: 'info', format: 'json' });
  });

  it('names a missing token by its path', () => {
    expect(problemsOf({ ...minimal, provisioning: {} })).toEqual(['provisioning.token: required']);
  });

  it('reports every problem at once: wrong types, unknown keys, bad values', () => {
    const problems = problemsOf({
      homeserver: { url: 12, domian: 'x' },
      publicUrl: 'ftp://example.com',
      provisioning: { token: 'short' },
      database: { poolSize: 'ten' },
      logging: { level: 'loud' },
      extra: true,
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'homeserver.url: must be a string, got number 12',
        'homeserver.domain: required',
        'homeserver.domian: unknown key',
        'publicUrl: must be an http:// or https:// URL',
        'provisioning.token: must be at least 16 characters',
        'database.poolSize: must be a number, got string "ten"',
        'extra: unknown key',
      ]),
    );
    expect(problems.find((p) => p.startsWith('logging.level:'))).toMatch(/fatal.*silent/);
  });

  it('explains a YAML syntax error with its line', async () => {
    const file = new URL('./fixtures/syntax-error.yaml', import.meta.url);
    await expect(loadConfig(file.pathname)).rejects.toThrow(/line \d+, column \d+: YAML syntax/);
  });

  it('says when the file does not exist', async () => {
    await expect(loadConfig('/nonexistent/config.yaml')).rejects.toThrow(
      '/nonexistent/config.yaml: file not found',
    );
  });
});

describe('config.sample.yaml', () => {
  it('is the file generated from the schema (run npm run config:sample after changing the schema)', async () => {
    const committed = await readFile(new URL('../../config/config.sample.yaml', import.meta.url), 'utf8');
    expect(committed).toBe(generateSample());
  });

  it('is itself a valid configuration', async () => {
    const committed = await readFile(new URL('../../config/config.sample.yaml', import.meta.url), 'utf8');
    expect(() => parseConfig(parse(committed))).not.toThrow();
  });

  it('documents every key', () => {
    const undocumented = configKeys().filter((k) => !k.schema.description);
    expect(undocumented.map((k) => k.path)).toEqual([]);
  });

  it('mentions every key of the schema', async () => {
    const committed = await readFile(new URL('../../config/config.sample.yaml', import.meta.url), 'utf8');
    for (const key of configKeys()) {
      const name = key.path.split('.').pop()!;
      expect(committed, key.path).toMatch(new RegExp(`^\\s*(# )?${name}:`, 'm'));
    }
  });
});

describe('environment variables in the configuration', () => {
  it('expands ${NAME} and ${NAME:-default} anywhere in a string, and $$ to $', () => {
    const { value, problems } = expandEnvironment(
      {
        database: { url: 'postgres://livechat:${PGPASS}@${PGHOST:-localhost}:5432/livechat' },
        note: 'costs $$5',
        list: ['${PGHOST:-x}'],
      },
      { PGPASS: 's3cret' },
    );
    expect(problems).toEqual([]);
    expect(value).toEqual({
      database: { url: 'postgres://livechat:s3cret@localhost:5432/livechat' },
      note: 'costs $5',
      list: ['x'],
    });
  });

  it('names the key of an unset variable', () => {
    const { problems } = expandEnvironment({ provisioning: { token: '${LIVECHAT_TOKEN}' } }, {});
    expect(problems).toEqual([
      { path: 'provisioning.token', message: 'environment variable LIVECHAT_TOKEN is not set' },
    ]);
  });
});
