/**
 * Typed positional arguments for bot commands. Each argument parses one word (or, for `rest`, the
 * remaining text) and says what it expected when it cannot, so a wrong call gets an answer that
 * names the argument.
 */

export class ArgumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArgumentError';
  }
}

export interface Arg<T> {
  name: string;
  description: string;
  optional: boolean;
  /** Takes all remaining words. Only the last argument may. */
  rest: boolean;
  parse(raw: string): T;
}

export interface ArgBuilder<T> extends Arg<T> {
  optional: false;
  orOmitted(): Arg<T | undefined>;
}

function build<T>(
  name: string,
  description: string,
  rest: boolean,
  parse: (raw: string) => T,
): ArgBuilder<T> {
  const base = { name, description, rest, parse };
  return {
    ...base,
    optional: false,
    orOmitted: () => ({ ...base, optional: true }) as Arg<T | undefined>,
  };
}

const USER_ID = /^@[^:\s]+:[a-zA-Z0-9.-]+(:\d+)?$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export const arg = {
  word: (name: string, description: string) => build(name, description, false, (raw) => raw),
  rest: (name: string, description: string) => build(name, description, true, (raw) => raw),
  user: (name: string, description: string) =>
    build(name, description, false, (raw) => {
      if (!USER_ID.test(raw))
        throw new ArgumentError(`<${name}> must be a Matrix user ID like @alice:example.com, not "${raw}"`);
      return raw;
    }),
  int: (name: string, description: string, range: { min?: number; max?: number } = {}) =>
    build(name, description, false, (raw) => {
      const value = Number(raw);
      if (
        !/^-?\d+$/.test(raw) ||
        (range.min !== undefined && value < range.min) ||
        (range.max !== undefined && value > range.max)
      ) {
        const bounds = [
          range.min !== undefined ? `≥ ${range.min}` : '',
          range.max !== undefined ? `≤ ${range.max}` : '',
        ]
          .filter(Boolean)
          .join(' and ');
        throw new ArgumentError(
          `<${name}> must be a whole number${bounds ? ` ${bounds}` : ''}, not "${raw}"`,
        );
      }
      return value;
    }),
  email: (name: string, description: string) =>
    build(name, description, false, (raw) => {
      if (!EMAIL.test(raw) || raw.length > 254)
        throw new ArgumentError(`<${name}> must be an email address like ana@example.com, not "${raw}"`);
      return raw;
    }),
  /** A word read by `parse`, which throws ArgumentError saying what it expected. */
  parsed: <T>(name: string, description: string, parse: (raw: string) => T) =>
    build(name, description, false, parse),
  choice: <const C extends string>(name: string, description: string, choices: readonly C[]) =>
    build(name, description, false, (raw) => {
      const found = choices.find((c) => c === raw.toLowerCase());
      if (!found) throw new ArgumentError(`<${name}> must be one of ${choices.join(', ')}, not "${raw}"`);
      return found;
    }),
};

export type ArgValues<A extends readonly Arg<unknown>[]> = {
  [K in keyof A]: A[K] extends Arg<infer T> ? T : never;
};

/** Splits a command line into words; "double quotes" keep spaces together. */
export function tokenize(text: string): string[] {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    words.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!);
  }
  return words;
}

export function usage(name: string, args: readonly Arg<unknown>[], prefix: string): string {
  const parts = args.map((a) => {
    const inner = a.rest ? `${a.name}…` : a.name;
    return a.optional ? `[${inner}]` : `<${inner}>`;
  });
  return [`${prefix}${name}`, ...parts].join(' ');
}

/** Parses the words after the command name against its declared arguments. */
export function parseArgs<A extends readonly Arg<unknown>[]>(args: A, rawText: string): ArgValues<A> {
  const words = tokenize(rawText);
  const values: unknown[] = [];
  for (const [i, spec] of args.entries()) {
    if (spec.rest) {
      const remaining = words.slice(i).join(' ');
      if (!remaining && !spec.optional) throw new ArgumentError(`<${spec.name}> is missing`);
      values.push(remaining ? spec.parse(remaining) : undefined);
      return values as ArgValues<A>;
    }
    const word = words[i];
    if (word === undefined) {
      if (!spec.optional) throw new ArgumentError(`<${spec.name}> is missing`);
      values.push(undefined);
      continue;
    }
    values.push(spec.parse(word));
  }
  if (words.length > args.length) {
    throw new ArgumentError(`unexpected "${words.slice(args.length).join(' ')}"`);
  }
  return values as ArgValues<A>;
}
