import { createHmac } from 'node:crypto';

/*
 * Accounts on the homeserver for invited people: Synapse's shared-secret registration
 * (/_synapse/admin/v1/register, homeserver.registrationSharedSecret), a password login to recognise
 * an account made on an earlier attempt, and the new account's own token to join the space's rooms
 * (then logged out: the person signs in from their client).
 */

export class AccountError extends Error {
  readonly errcode: string | undefined;
  readonly status: number;

  constructor(message: string, status: number, errcode?: string) {
    super(message);
    this.name = 'AccountError';
    this.status = status;
    this.errcode = errcode;
  }
}

export interface Session {
  userId: string;
  accessToken: string;
}

async function call(
  url: string,
  init: { method: string; token?: string; body?: unknown },
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: init.method,
    headers: {
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
    },
    body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  let body: Record<string, unknown>;
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = { error: text.slice(0, 200) };
  }
  return { status: response.status, body };
}

function fail(what: string, result: { status: number; body: Record<string, unknown> }): AccountError {
  const errcode = typeof result.body.errcode === 'string' ? result.body.errcode : undefined;
  const error = typeof result.body.error === 'string' ? result.body.error : `HTTP ${result.status}`;
  return new AccountError(`${what}: ${errcode ? `${errcode}: ` : ''}${error}`, result.status, errcode);
}

export async function registerAccount(
  homeserverUrl: string,
  sharedSecret: string,
  account: { localpart: string; password: string; displayName: string },
): Promise<Session> {
  const endpoint = new URL('/_synapse/admin/v1/register', homeserverUrl).toString();
  const nonce = await call(endpoint, { method: 'GET' });
  if (nonce.status !== 200 || typeof nonce.body.nonce !== 'string')
    throw fail('Registration unavailable', nonce);
  const mac = createHmac('sha1', sharedSecret)
    .update([nonce.body.nonce, account.localpart, account.password, 'notadmin'].join('\0'))
    .digest('hex');
  const result = await call(endpoint, {
    method: 'POST',
    body: {
      nonce: nonce.body.nonce,
      username: account.localpart,
      password: account.password,
      displayname: account.displayName,
      admin: false,
      mac,
    },
  });
  if (result.status !== 200 || typeof result.body.user_id !== 'string')
    throw fail('Registration refused', result);
  return { userId: result.body.user_id, accessToken: String(result.body.access_token) };
}

/** A session when the password is right for this localpart; undefined when it is not. */
export async function passwordLogin(
  homeserverUrl: string,
  localpart: string,
  password: string,
): Promise<Session | undefined> {
  const result = await call(new URL('/_matrix/client/v3/login', homeserverUrl).toString(), {
    method: 'POST',
    body: {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: localpart },
      password,
      initial_device_display_name: 'Live chat invitation page',
    },
  });
  if (result.status === 200 && typeof result.body.user_id === 'string') {
    return { userId: result.body.user_id, accessToken: String(result.body.access_token) };
  }
  if (result.status === 403 || result.status === 400) return undefined;
  throw fail('Login failed', result);
}

export async function joinRoom(homeserverUrl: string, session: Session, roomId: string): Promise<void> {
  const result = await call(
    new URL(`/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, homeserverUrl).toString(),
    { method: 'POST', token: session.accessToken, body: {} },
  );
  if (result.status !== 200) throw fail(`Joining ${roomId}`, result);
}

export async function logout(homeserverUrl: string, session: Session): Promise<void> {
  await call(new URL('/_matrix/client/v3/logout', homeserverUrl).toString(), {
    method: 'POST',
    token: session.accessToken,
    body: {},
  });
}

const LOCALPART_CHARS = /[^a-z0-9._=-]+/g;

/**
 * Localparts to try for an email address: its part before the @, lower-cased, with what Matrix
 * does not allow replaced, then with -2, -3… Reserved localparts (the bot, the ghosts' prefix)
 * are never offered.
 */
export function* localpartCandidates(email: string, isReserved: (localpart: string) => boolean) {
  const base =
    email
      .split('@')[0]!
      .toLowerCase()
      .replace(LOCALPART_CHARS, '-')
      .replace(/^[-._=]+|[-._=]+$/g, '')
      .slice(0, 48) || 'agent';
  for (let n = 1; n <= 50; n++) {
    const candidate = n === 1 ? base : `${base}-${n}`;
    if (!isReserved(candidate)) yield candidate;
  }
}

const MXID = /^@[a-z0-9._=\-/+]+:[a-zA-Z0-9.-]+(:\d{1,5})?$/;

export function isMatrixId(value: string): boolean {
  return MXID.test(value) && value.length <= 255;
}
