import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { parseDocument, stringify } from 'yaml';
import { z } from 'zod';
import { ConfigError, zodProblems, type ConfigProblem } from './load.ts';
import type { Config } from './schema.ts';

/** The appservice registration file the homeserver loads (Matrix application service API). */
export const registrationSchema = z.looseObject({
  id: z.string().min(1),
  url: z.string().nullable(),
  as_token: z.string().min(16),
  hs_token: z.string().min(16),
  sender_localpart: z.string().min(1),
  rate_limited: z.boolean().optional(),
  receive_ephemeral: z.boolean().optional(),
  namespaces: z.looseObject({
    users: z.array(z.looseObject({ regex: z.string(), exclusive: z.boolean() })).default([]),
    aliases: z.array(z.looseObject({ regex: z.string(), exclusive: z.boolean() })).default([]),
    rooms: z.array(z.looseObject({ regex: z.string(), exclusive: z.boolean() })).default([]),
  }),
});
export type Registration = z.output<typeof registrationSchema>;

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The user-ID patterns the bridge must own exclusively: its ghosts and its bot. */
export function expectedUserRegexes(config: Config): { ghosts: string; bot: string } {
  const domain = escapeRegex(config.homeserver.domain);
  return {
    ghosts: `@${escapeRegex(config.ghosts.prefix)}.*:${domain}`,
    bot: `@${escapeRegex(config.bot.localpart)}:${domain}`,
  };
}

/** A new registration with fresh tokens for the given appservice URL. */
export function generateRegistration(config: Config, url: string): Registration {
  const users = expectedUserRegexes(config);
  return {
    id: config.appservice.id,
    url,
    as_token: randomBytes(32).toString('hex'),
    hs_token: randomBytes(32).toString('hex'),
    sender_localpart: config.bot.localpart,
    rate_limited: false,
    receive_ephemeral: true,
    // Synapse versions before the stable key read the MSC2409 name.
    'de.sorunome.msc2409.push_ephemeral': true,
    namespaces: {
      users: [
        { regex: users.ghosts, exclusive: true },
        { regex: users.bot, exclusive: true },
      ],
      aliases: [],
      rooms: [],
    },
  };
}

export function registrationToYaml(registration: Registration): string {
  return stringify(registration, { lineWidth: 0 });
}

export async function writeRegistration(file: string, registration: Registration): Promise<void> {
  // The tokens are secrets: owner-only permissions.
  await writeFile(file, registrationToYaml(registration), { mode: 0o600 });
}

export async function loadRegistration(file: string): Promise<Registration> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const hint =
      code === 'ENOENT'
        ? 'file not found (generate it with: livechat-bridge -r -u URL -c CONFIG -f FILE)'
        : `cannot read (${code})`;
    throw new ConfigError([{ path: '', message: hint }], file);
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    throw new ConfigError(
      [{ path: '', message: `YAML syntax: ${doc.errors[0]?.message.split('\n')[0]}` }],
      file,
    );
  }
  const result = registrationSchema.safeParse(doc.toJS(), { reportInput: true });
  if (!result.success) throw new ConfigError(zodProblems(result.error), file);
  return result.data;
}

/**
 * Differences between a registration and the configuration that would make the bridge misbehave
 * (events not delivered, ghosts not owned). Each names the registration key and the config key.
 */
export function registrationMismatches(config: Config, registration: Registration): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (registration.sender_localpart !== config.bot.localpart) {
    problems.push({
      path: 'sender_localpart',
      message: `is "${registration.sender_localpart}" but bot.localpart in the config is "${config.bot.localpart}"`,
    });
  }
  if (registration.id !== config.appservice.id) {
    problems.push({
      path: 'id',
      message: `is "${registration.id}" but appservice.id in the config is "${config.appservice.id}"`,
    });
  }
  const expected = expectedUserRegexes(config);
  const users = registration.namespaces.users;
  for (const [what, regex] of [
    ['ghosts.prefix', expected.ghosts],
    ['bot.localpart', expected.bot],
  ] as const) {
    const found = users.find((u) => u.regex === regex);
    if (!found) {
      problems.push({
        path: 'namespaces.users',
        message: `has no entry "${regex}" (from ${what} and homeserver.domain); regenerate the registration`,
      });
    } else if (!found.exclusive) {
      problems.push({ path: 'namespaces.users', message: `"${regex}" must be exclusive: true` });
    }
  }
  if (registration.rate_limited !== false) {
    problems.push({
      path: 'rate_limited',
      message: 'must be false: ghosts send on behalf of many customers',
    });
  }
  return problems;
}

export function assertRegistrationMatches(config: Config, registration: Registration, file?: string): void {
  const problems = registrationMismatches(config, registration);
  if (problems.length > 0) {
    const name = file ?? 'The registration';
    throw new ConfigError(problems, name, `${name} does not match the configuration:`);
  }
}
