import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigError, parseConfig } from '../../config/load.ts';
import {
  assertRegistrationMatches,
  generateRegistration,
  loadRegistration,
  registrationMismatches,
  writeRegistration,
} from '../../config/registration.ts';

const config = parseConfig({
  homeserver: { url: 'http://localhost:8008', domain: 'chat.example.com' },
  publicUrl: 'https://livechat.example.com',
  provisioning: { token: 'a-long-enough-token' },
});

describe('registration', () => {
  it('claims the ghost prefix and the bot exclusively, unthrottled, with ephemeral events', () => {
    const reg = generateRegistration(config, 'http://bridge:9993');
    expect(reg).toMatchObject({
      id: 'livechat',
      url: 'http://bridge:9993',
      sender_localpart: 'livechat',
      rate_limited: false,
      receive_ephemeral: true,
      namespaces: {
        users: [
          { regex: '@_livechat_.*:chat\\.example\\.com', exclusive: true },
          { regex: '@livechat:chat\\.example\\.com', exclusive: true },
        ],
      },
    });
    const ghost = new RegExp(`^${reg.namespaces.users[0]!.regex}$`);
    expect(ghost.test('@_livechat_c7f3a1:chat.example.com')).toBe(true);
    expect(ghost.test('@_livechat_c7f3a1:chatXexample.com')).toBe(false);
    expect(ghost.test('@alice:chat.example.com')).toBe(false);
  });

  it('has fresh, distinct, long tokens each time', () => {
    const a = generateRegistration(config, 'http://x');
    const b = generateRegistration(config, 'http://x');
    expect(a.as_token).not.toBe(b.as_token);
    expect(a.hs_token).not.toBe(a.as_token);
    expect(a.as_token).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is written owner-only and reads back the same', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'reg-'));
    const file = path.join(dir, 'registration.yaml');
    const reg = generateRegistration(config, 'http://localhost:9993');
    await writeRegistration(file, reg);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(parse(await readFile(file, 'utf8'))).toEqual(reg);
    expect(await loadRegistration(file)).toEqual(reg);
  });

  it('names each mismatch with the configuration', () => {
    const other = parseConfig({ ...config, bot: { localpart: 'helpdesk' }, ghosts: { prefix: '_sms_' } });
    const reg = { ...generateRegistration(config, 'http://x'), rate_limited: true };
    const problems = registrationMismatches(other, reg).map((p) => `${p.path}: ${p.message}`);
    expect(problems).toEqual([
      'sender_localpart: is "livechat" but bot.localpart in the config is "helpdesk"',
      expect.stringContaining('has no entry "@_sms_.*:chat\\.example\\.com" (from ghosts.prefix'),
      expect.stringContaining('has no entry "@helpdesk:chat\\.example\\.com" (from bot.localpart'),
      'rate_limited: must be false: ghosts send on behalf of many customers',
    ]);
    expect(() => assertRegistrationMatches(other, reg, 'registration.yaml')).toThrow(ConfigError);
    expect(() => assertRegistrationMatches(config, generateRegistration(config, 'http://x'))).not.toThrow();
  });

  it('rejects a registration file without tokens, naming the field', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'reg-'));
    const file = path.join(dir, 'registration.yaml');
    await writeFile(file, 'id: livechat\nurl: http://x\nsender_localpart: livechat\nnamespaces: {}\n');
    await expect(loadRegistration(file)).rejects.toThrow(/as_token: required[\s\S]*hs_token: required/);
  });
});

describe('registration.yaml.example', () => {
  it('has the shape the generator writes for the sample configuration', async () => {
    const sample = parseConfig(
      parse(await readFile(new URL('../../config/config.sample.yaml', import.meta.url), 'utf8')),
    );
    const example = parse(
      await readFile(new URL('../../registration.yaml.example', import.meta.url), 'utf8'),
    );
    const generated = generateRegistration(sample, 'http://localhost:9993');
    expect({ ...example, as_token: '', hs_token: '' }).toEqual({ ...generated, as_token: '', hs_token: '' });
    expect(registrationMismatches(sample, example)).toEqual([]);
  });
});
