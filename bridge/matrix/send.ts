import { createHash } from 'node:crypto';
import type { Intent } from 'matrix-appservice-bridge';

/**
 * Sends an event with a transaction ID derived from what caused it (an inbox row, a command's
 * event ID). A retry after a crash or a timeout reuses the ID, and the homeserver returns the
 * event it already created instead of creating a second one.
 */
export async function sendEventOnce(
  intent: Intent,
  roomId: string,
  type: string,
  content: Record<string, unknown>,
  cause: string,
): Promise<string> {
  const txnId = `lc.${createHash('sha256').update(cause).digest('base64url').slice(0, 32)}`;
  const path = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/${encodeURIComponent(type)}/${txnId}`;
  const body = (await intent.matrixClient.doRequest('PUT', path, null, content)) as { event_id: string };
  return body.event_id;
}

/** The plain-text and HTML forms of a message the bot writes. */
export interface Text {
  body: string;
  html?: string;
}

export function noticeContent(text: Text | string): Record<string, unknown> {
  const t = typeof text === 'string' ? { body: text } : text;
  return t.html
    ? { msgtype: 'm.notice', body: t.body, format: 'org.matrix.custom.html', formatted_body: t.html }
    : { msgtype: 'm.notice', body: t.body };
}
