import type { Database } from '../store/db.ts';
import { getValue, setValue } from '../store/kv.ts';
import { errorInfo, logger } from '../log.ts';
import type { MatrixGateway } from './gateway.ts';

const log = logger('bridge.matrix.bot-profile');

/**
 * An http(s) avatar is uploaded to the media repository once; the resulting mxc URI is remembered
 * so that restarts do not upload it again.
 */
async function resolveAvatar(
  db: Database,
  matrix: MatrixGateway,
  avatar: string | undefined,
): Promise<string | undefined> {
  if (!avatar || avatar.startsWith('mxc://')) return avatar;
  const key = `bot.avatar:${avatar}`;
  const known = await getValue<string>(db, key);
  if (known) return known;
  try {
    const res = await fetch(avatar, { signal: AbortSignal.timeout(15_000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const type = res.headers.get('content-type') ?? 'image/png';
    const mxc = await matrix.botIntent.uploadContent(Buffer.from(await res.arrayBuffer()), {
      type,
      name: 'avatar',
    });
    await setValue(db, key, mxc);
    return mxc;
  } catch (err) {
    // A missing avatar is cosmetic: start anyway, try again at the next start.
    log.warn(
      { avatar, ...errorInfo(err) },
      'could not fetch the bot avatar (bot.avatar); starting without it',
    );
    return undefined;
  }
}

export async function ensureBotProfile(
  db: Database,
  matrix: MatrixGateway,
  avatar: string | undefined,
): Promise<void> {
  await matrix.ensureBotProfile(await resolveAvatar(db, matrix, avatar));
}
