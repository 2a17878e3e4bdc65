import { z } from 'zod';
import { stringify } from 'yaml';
import { configSchema } from './schema.ts';

/*
 * config.sample.yaml and the README's configuration reference are generated from the schema's JSON
 * Schema form, so descriptions, defaults and examples are written once, in config/schema.ts.
 */

interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  examples?: unknown[];
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  minimum?: number;
  maximum?: number;
}

export interface ConfigKey {
  path: string;
  schema: JsonSchema;
  required: boolean;
  isSection: boolean;
  depth: number;
}

export function configJsonSchema(): JsonSchema {
  return z.toJSONSchema(configSchema, { io: 'input' }) as JsonSchema;
}

/** Every key of the configuration, depth first, in schema order. */
export function configKeys(schema: JsonSchema = configJsonSchema()): ConfigKey[] {
  const keys: ConfigKey[] = [];
  const walk = (node: JsonSchema, prefix: string, depth: number) => {
    for (const [name, child] of Object.entries(node.properties ?? {})) {
      const path = prefix ? `${prefix}.${name}` : name;
      const isSection = child.type === 'object' && child.properties !== undefined;
      keys.push({ path, schema: child, required: node.required?.includes(name) ?? false, isSection, depth });
      if (isSection) walk(child, path, depth + 1);
    }
  };
  walk(schema, '', 0);
  return keys;
}

/** One line of YAML: lists and maps in flow style ([a, b]), so they fit after a key or "Default:". */
function scalar(value: unknown): string {
  return stringify(value, { collectionStyle: 'flow' }).trim();
}

function notes(key: ConfigKey): string[] {
  const s = key.schema;
  const lines = (s.description ?? '').split('\n');
  const facts: string[] = [];
  if (s.enum) facts.push(`One of: ${s.enum.join(', ')}.`);
  if (!key.isSection) {
    if (key.required) facts.push('Required.');
    else if (s.default !== undefined) facts.push(`Default: ${scalar(s.default)}.`);
    else facts.push('Optional.');
  } else if (!key.required && s.default === undefined) {
    facts.push('Optional section.');
  }
  if (facts.length) lines.push(facts.join(' '));
  return lines;
}

/** The commented sample: required keys with an example, defaults shown, optional keys commented out. */
export function generateSample(): string {
  const schema = configJsonSchema();
  const out = [
    `# ${schema.description ?? 'Configuration'}`,
    '#',
    '# Generated from config/schema.ts (npm run config:sample). Validate a file with:',
    '#   livechat-bridge validate-config -c config.yaml',
  ];
  const keys = configKeys(schema);
  const commentedOut = new Set<string>();
  for (const key of keys) {
    const indent = '  '.repeat(key.depth);
    const parent = key.path.split('.').slice(0, -1).join('.');
    const name = key.path.split('.').pop()!;
    const optionalSection = key.isSection && !key.required && key.schema.default === undefined;
    const disabled = commentedOut.has(parent) || optionalSection;
    if (disabled) commentedOut.add(key.path);
    if (key.depth === 0) out.push('');
    for (const line of notes(key)) out.push(`${indent}# ${line}`.trimEnd());
    const example = key.schema.examples?.[0];
    if (key.isSection) {
      out.push(`${indent}${disabled ? '# ' : ''}${name}:`);
    } else if (example !== undefined || key.schema.default !== undefined) {
      const value = example ?? key.schema.default;
      const hide = disabled || (!key.required && key.schema.default === undefined);
      out.push(`${indent}${hide ? '# ' : ''}${name}: ${scalar(value)}`);
    } else {
      out.push(`${indent}# ${name}:`);
    }
  }
  return `${out.join('\n')}\n`;
}

/** A Markdown table of every key, for the README. */
export function generateReference(): string {
  const rows = ['| key | type | default | description |', '| --- | --- | --- | --- |'];
  for (const key of configKeys()) {
    if (key.isSection) continue;
    const s = key.schema;
    const type = s.enum ? s.enum.map((v) => `\`${String(v)}\``).join(' \\| ') : String(s.type ?? '');
    const def = key.required ? '**required**' : s.default !== undefined ? `\`${scalar(s.default)}\`` : '';
    rows.push(
      `| \`${key.path}\` | ${type} | ${def} | ${(s.description ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`,
    );
  }
  return rows.join('\n');
}
