import type { OutboundMedia, OutboundMessage } from '../types.ts';

/*
 * Cloud API message bodies (POST /{version}/{phone-number-id}/messages). WhatsApp enforces small
 * limits on interactive messages; titles are cut on grapheme boundaries (never inside an emoji or
 * a surrogate pair) and counted in UTF-16 units, the strictest reading of Meta's "characters".
 * A menu WhatsApp cannot show (more than 10 options, or a body over 1024 characters) is sent as
 * numbered text instead, so nothing is lost.
 */

export const LIMITS = {
  buttons: 3,
  rows: 10,
  buttonTitle: 20,
  rowTitle: 24,
  rowDescription: 72,
  listButton: 20,
  interactiveBody: 1024,
  replyId: 200,
} as const;

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** At most `max` UTF-16 units, cut between graphemes, with an ellipsis when cut. */
export function truncate(text: string, max: number): string {
  const trimmed = text.trim();
  if (trimmed.length <= max) return trimmed;
  let out = '';
  for (const { segment } of graphemes.segment(trimmed)) {
    if (out.length + segment.length + 1 > max) break;
    out += segment;
  }
  return `${out.trimEnd()}…`;
}

/** Phone numbers go in `to` (digits); a business-scoped user id in `recipient` (2026 API, unverified). */
export function recipientOf(to: string): Record<string, string> {
  const digits = to.replace(/^\+/, '');
  return /^\d+$/.test(digits) ? { to: digits } : { recipient: to };
}

export type MediaKind = 'image' | 'audio' | 'video' | 'document' | 'sticker';

/**
 * The WhatsApp media type for a MIME type. WhatsApp shows only JPEG/PNG images, MP4/3GPP videos and
 * a few audio formats inline; anything else goes as a document. Audio and stickers take no caption:
 * with one, they go as a document so the caption reaches the customer.
 */
export function mediaKind(media: OutboundMedia, caption: string | undefined): MediaKind {
  const mime = media.mimeType.toLowerCase().split(';')[0]!.trim();
  let kind: MediaKind = 'document';
  if (mime === 'image/jpeg' || mime === 'image/png') kind = 'image';
  else if (mime === 'image/webp') kind = 'sticker';
  else if (mime === 'video/mp4' || mime === 'video/3gpp') kind = 'video';
  else if (['audio/aac', 'audio/amr', 'audio/mpeg', 'audio/mp4', 'audio/ogg'].includes(mime)) kind = 'audio';
  if ((kind === 'audio' || kind === 'sticker') && caption) kind = 'document';
  return kind;
}

function numberedMenu(interactive: NonNullable<OutboundMessage['interactive']>): string {
  const lines = interactive.options.map(
    (o, i) => `${i + 1}. ${o.title}${o.description ? ` — ${o.description}` : ''}`,
  );
  return [interactive.body, '', ...lines].join('\n');
}

function interactiveBody(interactive: NonNullable<OutboundMessage['interactive']>): Record<string, unknown> {
  const options = interactive.options;
  const useButtons = interactive.style === 'buttons' && options.length <= LIMITS.buttons;
  if (useButtons) {
    return {
      type: 'interactive',
      interactive: {
        type: 'button',
        body: { text: interactive.body },
        action: {
          buttons: options.map((o) => ({
            type: 'reply',
            reply: { id: o.id.slice(0, LIMITS.replyId), title: truncate(o.title, LIMITS.buttonTitle) },
          })),
        },
      },
    };
  }
  return {
    type: 'interactive',
    interactive: {
      type: 'list',
      body: { text: interactive.body },
      action: {
        button: truncate(interactive.listButton || 'Options', LIMITS.listButton),
        sections: [
          {
            rows: options.map((o) => ({
              id: o.id.slice(0, LIMITS.replyId),
              title: truncate(o.title, LIMITS.rowTitle),
              ...(o.description ? { description: truncate(o.description, LIMITS.rowDescription) } : {}),
            })),
          },
        ],
      },
    },
  };
}

/**
 * The message object, without the media reference for media messages (the caller decides between
 * a link and an uploaded id). Order of precedence: template, interactive, media, text.
 */
export function messageBody(
  message: OutboundMessage,
  mediaRef?: { id: string } | { link: string },
): Record<string, unknown> {
  const base = { messaging_product: 'whatsapp', recipient_type: 'individual', ...recipientOf(message.to) };
  if (message.template) {
    const parameters = message.template.parameters.map((text) => ({ type: 'text', text }));
    return {
      ...base,
      type: 'template',
      template: {
        name: message.template.name,
        language: { code: message.template.language },
        ...(parameters.length ? { components: [{ type: 'body', parameters }] } : {}),
      },
    };
  }
  if (message.interactive) {
    const i = message.interactive;
    if (i.options.length === 0 || i.options.length > LIMITS.rows || i.body.length > LIMITS.interactiveBody) {
      return { ...base, type: 'text', text: { preview_url: false, body: numberedMenu(i) } };
    }
    return { ...base, ...interactiveBody(i) };
  }
  if (message.media) {
    const caption = [message.media.caption, message.text].filter((x) => x).join('\n\n') || undefined;
    const kind = mediaKind(message.media, caption);
    return {
      ...base,
      type: kind,
      [kind]: {
        ...mediaRef,
        ...(caption && kind !== 'audio' && kind !== 'sticker' ? { caption } : {}),
        ...(kind === 'document' && message.media.filename ? { filename: message.media.filename } : {}),
      },
    };
  }
  return { ...base, type: 'text', text: { preview_url: false, body: message.text ?? '' } };
}
