/*
 * Power levels in a space's rooms. The bot (100) is the only one who invites, kicks and changes
 * state: seats are enforced by the bot, so nobody else may bring people in. Admins get 50 in the
 * space and its control room (they moderate: redact); agents get the default 0 in the space.
 */

export type SeatRole = 'agent' | 'admin';

export const BOT_LEVEL = 100;
export const ROLE_LEVEL: Record<SeatRole, number> = { admin: 50, agent: 0 };

export interface PowerLevels {
  users?: Record<string, number>;
  [key: string]: unknown;
}

/**
 * Power levels of a space room or a control room when created by the bot. `users` is left to the
 * homeserver: it gives the creator 100, or (room version 12) nothing because creators then outrank
 * everyone and must not be listed.
 */
export function initialPowerLevels(kind: 'space' | 'control'): PowerLevels {
  return {
    users_default: 0,
    // Nobody posts in the space room itself; the control room is where admins talk to the bot.
    events_default: kind === 'space' ? 50 : 0,
    state_default: BOT_LEVEL,
    events: {},
    invite: BOT_LEVEL,
    kick: BOT_LEVEL,
    ban: BOT_LEVEL,
    redact: 50,
    notifications: { room: 50 },
  };
}

/** The same power levels with `userId` at `level` (removed from the map at the default 0). */
export function withUserLevel(current: PowerLevels, userId: string, level: number): PowerLevels {
  const users = { ...(current.users ?? {}) };
  if (level === 0) delete users[userId];
  else users[userId] = level;
  return { ...current, users };
}
