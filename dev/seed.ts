import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { logger } from '../bridge/log.ts';
import { acceptInvitationAsBrowser, type Person } from './accounts.ts';
import type { EmailServer } from './email/server.ts';
import type { PhoneSimulator } from './phone/simulator.ts';
import { newPassword, newSenderSecret, type SecretsFile } from './secrets.ts';

/*
 * What a newcomer finds on the first run, made through the provisioning API as the support team
 * would: the space "Orders", a WhatsApp sender (chatbot) with the "Help Package" campaign, an SMS
 * sender (live chat), an admin and two agents who accepted their emailed invitations. Every step
 * first looks at what exists, so later runs change nothing and only tell the phone simulator the
 * senders' secrets.
 */

const log = logger('dev.seed');

export const SPACE = { name: 'Orders', seats: 10 };

export const SENDERS = [
  { channel: 'whatsapp', address: '+5500112233', mode: 'chatbot' },
  { channel: 'sms', address: '+14155550199', mode: 'livechat' },
] as const;

export const PEOPLE: Person[] = [
  { role: 'admin', name: 'Ada Admin', email: 'admin@example.com' },
  { role: 'agent', name: 'Alice Agent', email: 'alice@example.com' },
  { role: 'agent', name: 'Bob Agent', email: 'bob@example.com' },
];

export const CAMPAIGN = {
  name: 'Help Package',
  keywords: ['Help Package'],
  flowFile: new URL('../bot/flows/examples/help-package.yaml', import.meta.url),
};

export interface SeededSender {
  id: string;
  channel: 'sms' | 'whatsapp';
  address: string;
  mode: string;
}

export interface Credential extends Person {
  userId: string;
  /** Undefined when the account predates the secrets file (delete the dev directory to start over). */
  password: string | undefined;
}

export interface SeedResult {
  space: { id: string; name: string; controlRoomId: string };
  senders: SeededSender[];
  campaign: 'created' | 'exists' | 'unavailable' | 'failed';
  accounts: Credential[];
}

export class ApiError extends Error {
  readonly status: number;
  readonly errcode: string | undefined;

  constructor(method: string, path: string, status: number, body: { errcode?: string; error?: string }) {
    super(`${method} ${path}: ${status} ${body.errcode ?? ''} ${body.error ?? ''}`.trim());
    this.name = 'ApiError';
    this.status = status;
    this.errcode = body.errcode;
  }
}

export function apiClient(baseUrl: string, token: string) {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${baseUrl}/_matrix/provision/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const json = (await res.json().catch(() => ({}))) as T & { errcode?: string; error?: string };
    if (!res.ok) throw new ApiError(method, path, res.status, json);
    return json;
  };
  return {
    get: <T>(path: string) => call<T>('GET', path),
    post: <T>(path: string, body: unknown) => call<T>('POST', path, body),
    patch: <T>(path: string, body: unknown) => call<T>('PATCH', path, body),
  };
}
export type ApiClient = ReturnType<typeof apiClient>;

interface SpaceView {
  id: string;
  name: string;
  matrix: { controlRoomId: string };
}
interface SenderView {
  id: string;
  channel: 'sms' | 'whatsapp';
  address: string;
  provider: string;
  mode: string;
}
interface AgentView {
  userId: string;
  email: string | null;
}
interface InvitationView {
  id: string;
  email: string;
  status: string;
}

const unrecognized = (err: unknown) =>
  err instanceof ApiError && err.status === 404 && err.errcode === 'LC_UNRECOGNIZED';

async function ensureSpace(api: ApiClient): Promise<SpaceView> {
  const { spaces } = await api.get<{ spaces: SpaceView[] }>('/spaces');
  const found = spaces.find((s) => s.name === SPACE.name);
  if (found) return found;
  log.info(`creating the space "${SPACE.name}" (${SPACE.seats} seats)`);
  return api.post<SpaceView>('/spaces', { ...SPACE, livechat: { enabled: true } });
}

/**
 * The seeded senders, plus any other simulator sender: the phone page needs every secret, and the
 * API never returns one, so a sender whose secret the dev stack does not know gets a new one.
 */
async function ensureSenders(
  api: ApiClient,
  space: SpaceView,
  secrets: SecretsFile,
  phone: PhoneSimulator,
): Promise<SeededSender[]> {
  const { spaces } = await api.get<{ spaces: SpaceView[] }>('/spaces');
  const seeded: SeededSender[] = [];
  for (const s of spaces) {
    let { senders } = await api.get<{ senders: SenderView[] }>(`/spaces/${s.id}/senders`);
    if (s.id === space.id) {
      for (const wanted of SENDERS) {
        if (senders.some((x) => x.channel === wanted.channel && x.address === wanted.address)) continue;
        log.info(`creating the ${wanted.channel} sender ${wanted.address} (${wanted.mode})`);
        const secret = (secrets.secrets.senders[wanted.address] ??= newSenderSecret());
        await secrets.save();
        const created = await api.post<SenderView>(`/spaces/${s.id}/senders`, {
          ...wanted,
          provider: 'simulator',
          bidirectional: true,
          credentials: { secret },
        });
        senders = [...senders, created];
      }
    }
    for (const sender of senders.filter((x) => x.provider === 'simulator')) {
      let secret = secrets.secrets.senders[sender.address];
      if (!secret) {
        secret = secrets.secrets.senders[sender.address] = newSenderSecret();
        await secrets.save();
        log.info(`giving the sender ${sender.address} a secret the phone simulator knows`);
        await api.patch(`/spaces/${s.id}/senders/${sender.id}`, { credentials: { secret } });
      }
      phone.addSender(sender.id, secret, {
        channel: sender.channel,
        address: sender.address,
        label: `${s.name}, ${sender.mode === 'livechat' ? 'live chat' : 'chatbot'}`,
      });
      if (s.id === space.id)
        seeded.push({ id: sender.id, channel: sender.channel, address: sender.address, mode: sender.mode });
    }
  }
  return seeded;
}

async function ensureCampaign(
  api: ApiClient,
  space: SpaceView,
  senders: SeededSender[],
): Promise<SeedResult['campaign']> {
  const whatsapp = senders.find((s) => s.channel === 'whatsapp');
  if (!whatsapp) return 'unavailable';
  try {
    const { campaigns } = await api.get<{ campaigns?: { name: string }[] }>(`/spaces/${space.id}/campaigns`);
    if (campaigns?.some((c) => c.name === CAMPAIGN.name)) return 'exists';
    const flow: unknown = parse(await readFile(CAMPAIGN.flowFile, 'utf8'));
    log.info(`creating the campaign "${CAMPAIGN.name}" on ${whatsapp.address}`);
    await api.post(`/spaces/${space.id}/campaigns`, {
      name: CAMPAIGN.name,
      senderId: whatsapp.id,
      keywords: CAMPAIGN.keywords,
      flow,
    });
    return 'created';
  } catch (err) {
    if (unrecognized(err)) {
      log.warn(
        `skipping the campaign "${CAMPAIGN.name}": this build has no campaigns API yet (POST /spaces/{id}/campaigns answered 404 LC_UNRECOGNIZED)`,
      );
      return 'unavailable';
    }
    // The rest of the stack is still worth having: say why, and go on.
    if (err instanceof ApiError) {
      log.warn(`the campaign "${CAMPAIGN.name}" could not be created: ${err.message}`);
      return 'failed';
    }
    throw err;
  }
}

/** Invites whoever has no seat yet and accepts each invitation from its email, like a browser. */
async function ensureAccounts(
  api: ApiClient,
  space: SpaceView,
  secrets: SecretsFile,
  email: EmailServer,
): Promise<Credential[]> {
  const agents = async () => (await api.get<{ agents: AgentView[] }>(`/spaces/${space.id}/agents`)).agents;
  const seated = (list: AgentView[], person: Person) =>
    list.find((a) => a.email?.toLowerCase() === person.email.toLowerCase());
  const current = await agents();
  const missing = PEOPLE.filter((p) => !seated(current, p));
  if (missing.length > 0) {
    const since = Date.now();
    const { invitations } = await api.get<{ invitations: InvitationView[] }>(
      `/spaces/${space.id}/invitations?status=pending`,
    );
    // A pending invitation from an interrupted run: its link is unknown now, so send a new one.
    for (const person of missing) {
      const pending = invitations.find((i) => i.email.toLowerCase() === person.email.toLowerCase());
      if (pending) await api.post(`/spaces/${space.id}/invitations/${pending.id}/resend`, {});
    }
    const fresh = missing.filter(
      (p) => !invitations.some((i) => i.email.toLowerCase() === p.email.toLowerCase()),
    );
    if (fresh.length > 0) {
      log.info(`inviting ${fresh.map((p) => p.email).join(', ')}`);
      await api.post(`/spaces/${space.id}/invitations`, { invitations: fresh });
    }
    for (const person of missing) {
      const password = (secrets.secrets.passwords[person.email] ??= newPassword());
      await secrets.save();
      await acceptInvitationAsBrowser(email, person, password, since);
    }
  }
  const seatedNow = await agents();
  return PEOPLE.map((person) => {
    const agent = seated(seatedNow, person);
    if (!agent) throw new Error(`${person.email} accepted the invitation but has no seat in ${space.name}`);
    return { ...person, userId: agent.userId, password: secrets.secrets.passwords[person.email] };
  });
}

export async function seed(deps: {
  publicUrl: string;
  token: string;
  secrets: SecretsFile;
  phone: PhoneSimulator;
  email: EmailServer;
}): Promise<SeedResult> {
  const api = apiClient(deps.publicUrl, deps.token);
  const space = await ensureSpace(api);
  const senders = await ensureSenders(api, space, deps.secrets, deps.phone);
  const campaign = await ensureCampaign(api, space, senders);
  const accounts = await ensureAccounts(api, space, deps.secrets, deps.email);
  return {
    space: { id: space.id, name: space.name, controlRoomId: space.matrix.controlRoomId },
    senders,
    campaign,
    accounts,
  };
}
