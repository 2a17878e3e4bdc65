import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { parseConfig } from '../config/load.ts';
import {
  generateRegistration,
  loadRegistration,
  registrationMismatches,
  writeRegistration,
  type Registration,
} from '../config/registration.ts';
import type { Config, ConfigInput } from '../config/schema.ts';
import { canListen, freePort } from './ports.ts';
import type { DevSecrets } from './secrets.ts';

/*
 * Ports and the bridge's configuration for the dev stack. The fixed ports are the bridge's own
 * defaults (and Synapse's usual 8008), so URLs in docs and a newcomer's browser history stay
 * valid; SMTP and Postgres take any free port. The generated config.yaml and registration.yaml
 * are written into the dev directory: the same bridge can be run alone from them
 * (`node cli.ts -c .dev/config.yaml -f .dev/registration.yaml`).
 */

export interface DevPorts {
  synapse: number;
  appservice: number;
  /** Provisioning API, carrier webhooks, invitation pages (the bridge's publicUrl). */
  public: number;
  phone: number;
  email: number;
  /** 0: a free port. */
  smtp: number;
  /** 0: a free port. */
  postgres: number;
}

export const DEFAULT_PORTS: DevPorts = {
  synapse: 8008,
  appservice: 9993,
  public: 9994,
  phone: 9995,
  email: 9996,
  smtp: 0,
  postgres: 0,
};

/** The flag and environment variable that set each port (for error messages and --help). */
export const PORT_SETTINGS: Record<keyof DevPorts, { flag: string; env: string; what: string }> = {
  synapse: { flag: '--synapse-port', env: 'LIVECHAT_DEV_SYNAPSE_PORT', what: 'Synapse' },
  appservice: { flag: '--appservice-port', env: 'LIVECHAT_DEV_APPSERVICE_PORT', what: 'the appservice' },
  public: {
    flag: '--public-port',
    env: 'LIVECHAT_DEV_PUBLIC_PORT',
    what: 'the provisioning API and webhooks',
  },
  phone: { flag: '--phone-port', env: 'LIVECHAT_DEV_PHONE_PORT', what: 'the phone simulator' },
  email: { flag: '--email-port', env: 'LIVECHAT_DEV_EMAIL_PORT', what: 'the email page' },
  smtp: { flag: '--smtp-port', env: 'LIVECHAT_DEV_SMTP_PORT', what: 'the SMTP server' },
  postgres: { flag: '--postgres-port', env: 'LIVECHAT_DEV_POSTGRES_PORT', what: 'the embedded Postgres' },
};

export class PortInUseError extends Error {
  constructor(port: number, name: keyof DevPorts) {
    const s = PORT_SETTINGS[name];
    super(
      `Port ${port} (${s.what}) is in use on 127.0.0.1. Free it, or choose another with ${s.flag} N (or ${s.env}).`,
    );
    this.name = 'PortInUseError';
  }
}

/** Checks the chosen ports are free and picks the free ones (0). */
export async function resolvePorts(wanted: DevPorts): Promise<DevPorts> {
  const ports = { ...wanted };
  const seen = new Map<number, keyof DevPorts>();
  for (const name of Object.keys(ports) as (keyof DevPorts)[]) {
    const port = ports[name];
    if (port === 0) continue;
    if (seen.has(port)) {
      throw new Error(
        `${PORT_SETTINGS[name].flag} and ${PORT_SETTINGS[seen.get(port)!].flag} are both ${port}: each needs its own port.`,
      );
    }
    seen.set(port, name);
    if (!(await canListen(port, '127.0.0.1'))) throw new PortInUseError(port, name);
  }
  for (const name of ['smtp', 'postgres'] as const) {
    if (ports[name] === 0) {
      let port = await freePort();
      while (seen.has(port)) port = await freePort();
      ports[name] = port;
    }
  }
  return ports;
}

export interface DevConfigOptions {
  dir: string;
  ports: DevPorts;
  secrets: DevSecrets;
  phoneUrl: string;
  smtp: { host: string; port: number };
  logging: { level: string; format: 'json' | 'pretty' };
}

export function devConfigInput(o: DevConfigOptions): ConfigInput {
  return {
    homeserver: {
      url: `http://127.0.0.1:${o.ports.synapse}`,
      domain: 'localhost',
      startupTimeoutSeconds: 60,
      registrationSharedSecret: o.secrets.synapseSharedSecret,
    },
    appservice: { id: 'livechat', port: o.ports.appservice, bindAddress: '127.0.0.1' },
    publicUrl: `http://127.0.0.1:${o.ports.public}`,
    database: { embedded: { dataDir: join(o.dir, 'postgres'), port: o.ports.postgres } },
    provisioning: { port: o.ports.public, bindAddress: '127.0.0.1', token: o.secrets.provisioningToken },
    providers: { simulator: { baseUrl: o.phoneUrl } },
    smtp: { host: o.smtp.host, port: o.smtp.port, secure: false, from: 'Live chat <livechat@localhost>' },
    logging: o.logging as ConfigInput['logging'],
  };
}

/**
 * Writes config.yaml and registration.yaml into the dev directory. The registration keeps its
 * tokens across runs (Synapse has them already); its URL follows the appservice port.
 */
export async function writeDevConfig(
  o: DevConfigOptions,
): Promise<{ config: Config; registration: Registration; configFile: string; registrationFile: string }> {
  const input = devConfigInput(o);
  const configFile = join(o.dir, 'config.yaml');
  const config = parseConfig(input, configFile);
  await writeFile(
    configFile,
    `# Written by the dev stack at each start (npm run dev); edit the dev stack, not this file.\n${stringify(input)}`,
    { mode: 0o600 },
  );
  const registrationFile = join(o.dir, 'registration.yaml');
  const url = `http://127.0.0.1:${o.ports.appservice}`;
  let registration: Registration | undefined;
  if (existsSync(registrationFile)) {
    const old = await loadRegistration(registrationFile);
    if (registrationMismatches(config, old).length === 0) registration = { ...old, url };
  }
  registration ??= generateRegistration(config, url);
  await writeRegistration(registrationFile, registration);
  return { config, registration, configFile, registrationFile };
}
