/*
 * Seeded random input for fuzz tests (a failure prints its input and replays with the same seed),
 * and a generator of JSON values that follow, or almost follow, a JSON Schema.
 */

export interface Random {
  next(): number;
  int(below: number): number;
  pick<T>(list: readonly T[]): T;
  string(maxLength: number): string;
}

export function seeded(seed: number): Random {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (below: number) => Math.floor(next() * Math.max(1, below));
  const pools = [
    'abcdefghijklmnopqrstuvwxyz',
    '0123456789+-',
    ' \t\n"\'\\<>{}[]&%$#@!',
    'éü漢字🙂\u0000\u202e',
  ];
  return {
    next,
    int,
    pick: (list) => list[int(list.length)]!,
    string: (maxLength) => {
      const pool = pools[int(pools.length)]!;
      return Array.from({ length: int(maxLength + 1) }, () => [...pool][int([...pool].length)]).join('');
    },
  };
}

export function randomJson(r: Random, depth: number): unknown {
  const kind = r.int(depth > 0 ? 8 : 6);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return r.next() < 0.5;
    case 2:
      return r.pick([0, -1, 1.5, 2 ** 53, -(2 ** 31), 1e308, r.int(1000)]);
    case 3:
    case 4:
      return r.string(30);
    case 5:
      return r.pick([
        '',
        '+14155550123',
        'sms',
        'whatsapp',
        'simulator',
        'admin',
        '00000000-0000-4000-8000-000000000000',
      ]);
    case 6:
      return Array.from({ length: r.int(4) }, () => randomJson(r, depth - 1));
    default:
      return Object.fromEntries(
        Array.from({ length: r.int(5) }, () => [
          r.pick(['id', 'name', 'messages', 'statuses', 'text', 'from', 'seats', 'email', r.string(8)]),
          randomJson(r, depth - 1),
        ]),
      );
  }
}

type Schema = Record<string, unknown>;

/** A value for a JSON Schema; with probability `mistakes` per node, a wrong one instead. */
export function fromSchema(r: Random, schema: Schema | undefined, mistakes: number, depth = 0): unknown {
  if (!schema || depth > 6 || r.next() < mistakes) return randomJson(r, 2);
  const options = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (options?.length) return fromSchema(r, r.pick(options), mistakes, depth + 1);
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum)) return r.pick(schema.enum);
  const type = Array.isArray(schema.type) ? r.pick(schema.type as string[]) : schema.type;
  switch (type) {
    case 'object': {
      const props = (schema.properties ?? {}) as Record<string, Schema>;
      const required = new Set((schema.required ?? []) as string[]);
      const out: Record<string, unknown> = {};
      for (const [key, sub] of Object.entries(props))
        if (required.has(key) || r.next() < 0.5) out[key] = fromSchema(r, sub, mistakes, depth + 1);
      return out;
    }
    case 'array': {
      const min = Number(schema.minItems ?? 0);
      return Array.from({ length: min + r.int(3) }, () =>
        fromSchema(r, schema.items as Schema, mistakes, depth + 1),
      );
    }
    case 'integer':
    case 'number': {
      const min = typeof schema.minimum === 'number' ? schema.minimum : 0;
      const max = typeof schema.maximum === 'number' ? schema.maximum : min + 100;
      return min + r.int(max - min + 1);
    }
    case 'boolean':
      return r.next() < 0.5;
    case 'string': {
      if (schema.format === 'email') return `${r.pick(['a', 'b', 'support'])}${r.int(1000)}@example.com`;
      if (schema.format === 'uuid') return '00000000-0000-4000-8000-000000000000';
      const max = Math.min(Number(schema.maxLength ?? 40), 80);
      const min = Number(schema.minLength ?? 0);
      const s = r.string(max);
      return s.length >= min ? s : s.padEnd(min, 'x');
    }
    default:
      return randomJson(r, 2);
  }
}
