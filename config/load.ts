import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.ts';

/** One problem in a configuration file, located by its dotted key path. */
export interface ConfigProblem {
  path: string;
  message: string;
}

/** Raised when a configuration cannot be used; `problems` lists every error found, not just the first. */
export class ConfigError extends Error {
  readonly problems: ConfigProblem[];
  readonly file: string | undefined;

  constructor(problems: ConfigProblem[], file?: string, heading?: string) {
    super(formatProblems(problems, file, heading));
    this.name = 'ConfigError';
    this.problems = problems;
    this.file = file;
  }
}

export function formatProblems(problems: ConfigProblem[], file?: string, heading?: string): string {
  const head = heading ?? (file ? `${file} is not a valid configuration:` : 'Invalid configuration:');
  if (problems.length === 1 && !problems[0]!.path && file) return `${file}: ${problems[0]!.message}`;
  return [head, ...problems.map((p) => `  ${p.path ? `${p.path}: ` : ''}${p.message}`)].join('\n');
}

function joinPath(path: readonly PropertyKey[]): string {
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))
    .join('.')
    .replace(/\.\[/g, '[');
}

/** Turns zod issues into messages a person editing YAML understands. */
export function zodProblems(error: z.ZodError, prefix: readonly PropertyKey[] = []): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of error.issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push({ path: joinPath([...path, key]), message: 'unknown key' });
    } else if (issue.code === 'invalid_type' && issue.input === undefined) {
      problems.push({ path: joinPath(path), message: 'required' });
    } else if (issue.code === 'invalid_type') {
      problems.push({
        path: joinPath(path),
        message: `must be ${article(issue.expected)}, got ${describe(issue.input)}`,
      });
    } else {
      problems.push({ path: joinPath(path), message: issue.message });
    }
  }
  return problems;
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function describe(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  return `${typeof input} ${JSON.stringify(input)}`;
}

const ENV_REFERENCE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces ${NAME} and ${NAME:-default} in string values with environment variables, so secrets
 * can come from the environment (containers, systemd credentials) instead of the file. `$$` is a
 * literal `$`. An unset variable without a default is an error at its key.
 */
export function expandEnvironment(
  raw: unknown,
  env: Record<string, string | undefined> = process.env,
): { value: unknown; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const walk = (node: unknown, path: string[]): unknown => {
    if (typeof node === 'string') {
      return node.replace(ENV_REFERENCE, (match, name: string | undefined, fallback: string | undefined) => {
        if (match === '$$') return '$';
        const value = env[name!];
        if (value !== undefined && value !== '') return value;
        if (fallback !== undefined) return fallback;
        problems.push({ path: path.join('.'), message: `environment variable ${name} is not set` });
        return '';
      });
    }
    if (Array.isArray(node))
      return node.map((item, i) => walk(item, [...path.slice(0, -1), `${path.at(-1) ?? ''}[${i}]`]));
    if (node && typeof node === 'object') {
      return Object.fromEntries(
        Object.entries(node).map(([key, value]) => [key, walk(value, [...path, key])]),
      );
    }
    return node;
  };
  return { value: walk(raw, []), problems };
}

/** Validates an already-parsed object; throws ConfigError listing every problem. */
export function parseConfig(raw: unknown, file?: string): Config {
  const result = configSchema.safeParse(raw ?? {}, { reportInput: true });
  if (!result.success) throw new ConfigError(zodProblems(result.error), file);
  return result.data;
}

/** Reads and validates a YAML configuration file. */
export async function loadConfig(file: string): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(
      [{ path: '', message: code === 'ENOENT' ? 'file not found' : `cannot read (${code})` }],
      file,
    );
  }
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => ({
        path: e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '',
        message: `YAML syntax: ${e.message.split('\n')[0]}`,
      })),
      file,
    );
  }
  const { value, problems } = expandEnvironment(doc.toJS());
  if (problems.length > 0) throw new ConfigError(problems, file);
  return parseConfig(value, file);
}
