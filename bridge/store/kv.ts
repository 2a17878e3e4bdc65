import type { Queryable } from './db.ts';

/** Small durable facts that need no table of their own (an uploaded avatar's mxc URI). */
export async function getValue<T>(db: Queryable, key: string): Promise<T | undefined> {
  const result = await db.query<{ value: T }>('SELECT value FROM kv WHERE key = $1', [key]);
  return result.rows[0]?.value;
}

export async function setValue(db: Queryable, key: string, value: unknown): Promise<void> {
  await db.query(
    `INSERT INTO kv (key, value) VALUES ($1, $2)
     ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
    [key, JSON.stringify(value)],
  );
}
