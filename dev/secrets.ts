import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/*
 * The dev stack's secrets, made on the first run and kept in <dir>/secrets.json (mode 600) so that
 * the next run finds the same homeserver, tokens, senders and passwords.
 */

export interface DevSecrets {
  provisioningToken: string;
  synapseSharedSecret: string;
  /** Sender address → the simulator secret its credentials hold. */
  senders: Record<string, string>;
  /** Email → password of the accounts the dev stack made. */
  passwords: Record<string, string>;
}

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** A password a person can type: 14 characters of [A-Za-z0-9_-]. */
export function newPassword(): string {
  return randomBytes(11).toString('base64url').slice(0, 14);
}

export function newSenderSecret(): string {
  return hex(24);
}

export class SecretsFile {
  readonly file: string;
  readonly secrets: DevSecrets;

  private constructor(file: string, secrets: DevSecrets) {
    this.file = file;
    this.secrets = secrets;
  }

  static async load(dir: string): Promise<SecretsFile> {
    const file = join(dir, 'secrets.json');
    const saved = existsSync(file)
      ? (JSON.parse(await readFile(file, 'utf8')) as Partial<DevSecrets>)
      : ({} as Partial<DevSecrets>);
    const secrets: DevSecrets = {
      provisioningToken: saved.provisioningToken ?? hex(24),
      synapseSharedSecret: saved.synapseSharedSecret ?? hex(24),
      senders: saved.senders ?? {},
      passwords: saved.passwords ?? {},
    };
    const store = new SecretsFile(file, secrets);
    await store.save();
    return store;
  }

  async save(): Promise<void> {
    await writeFile(this.file, `${JSON.stringify(this.secrets, null, 2)}\n`, { mode: 0o600 });
  }
}
