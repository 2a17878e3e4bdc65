import { SegmentedMessage } from 'sms-segments-calculator';
import type { Capabilities, OutboundMessage } from '../providers/types.ts';
import type { OutboxContent } from '../store/outbox.ts';

/*
 * One outbox row may need several sends: a text longer than the provider takes in one request is
 * split, for SMS on segment boundaries (GSM-7 153 / UCS-2 67 characters per part, never inside a
 * surrogate pair), elsewhere between words. Below the provider's limit a text goes whole and the
 * carrier concatenates its segments; the count is recorded either way (SMS is billed by segment).
 */

export type Part = Omit<OutboundMessage, 'to' | 'idempotencyKey' | 'statusCallbackUrl'>;

export interface Plan {
  parts: Part[];
  /** SMS segments the whole text takes, for segmented channels. */
  segments?: number;
}

/** Splits at segment boundaries, grouping whole segments into parts of at most maxLength. */
function splitBySegments(message: SegmentedMessage, maxLength: number): string[] {
  const segments = message.segments.map((segment) =>
    (segment as unknown as { raw?: string; isUserDataHeader?: boolean }[])
      .filter((c) => typeof c.raw === 'string' && !c.isUserDataHeader)
      .map((c) => c.raw)
      .join(''),
  );
  const parts: string[] = [];
  let current = '';
  for (const text of segments) {
    if (current && current.length + text.length > maxLength) {
      parts.push(current);
      current = '';
    }
    current += text;
  }
  if (current) parts.push(current);
  return parts;
}

/** Splits between words where it can, never inside a surrogate pair. */
export function splitByLength(text: string, maxLength: number): string[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > maxLength) {
    let cut = rest.lastIndexOf(' ', maxLength);
    if (cut < maxLength / 2) cut = maxLength;
    const code = rest.charCodeAt(cut - 1);
    if (code >= 0xd800 && code <= 0xdbff) cut--;
    parts.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest) parts.push(rest);
  return parts;
}

export function splitText(text: string, caps: Capabilities): { texts: string[]; segments?: number } {
  if (!caps.segmented) {
    return { texts: text.length > caps.maxTextLength ? splitByLength(text, caps.maxTextLength) : [text] };
  }
  const message = new SegmentedMessage(text);
  const segments = message.segmentsCount;
  if (text.length <= caps.maxTextLength) return { texts: [text], segments };
  return { texts: splitBySegments(message, caps.maxTextLength), segments };
}

/** A menu as numbered text, for channels without buttons. */
export function menuAsText(interactive: NonNullable<OutboxContent['interactive']>): string {
  const options = interactive.options.map((o, i) => `${i + 1}. ${o.title}`);
  return [interactive.body, '', ...options].join('\n');
}

/** The sends for one outbox row, given the channel's capabilities (media already checked). */
export function planParts(
  content: OutboxContent,
  caps: Capabilities,
  mediaUrl?: string,
  data?: Buffer,
): Plan {
  if (content.template) return { parts: [{ template: content.template }] };
  if (content.interactive && caps.interactive) return { parts: [{ interactive: content.interactive }] };
  const text = content.interactive ? menuAsText(content.interactive) : content.text;
  if (content.media) {
    const media = {
      mimeType: content.media.mimeType,
      ...(mediaUrl ? { url: mediaUrl } : {}),
      ...(data ? { data } : {}),
      ...(content.media.filename ? { filename: content.media.filename } : {}),
    };
    // A caption travels with the media where it fits in one part; a long one goes after it.
    if (!text) return { parts: [{ media }] };
    const { texts, segments } = splitText(text, caps);
    // The caption is the media's; providers put it where their API wants it (Twilio: Body).
    if (texts.length === 1)
      return { parts: [{ media: { ...media, caption: text } }], ...(segments ? { segments } : {}) };
    return { parts: [{ media }, ...texts.map((t) => ({ text: t }))], ...(segments ? { segments } : {}) };
  }
  const { texts, segments } = splitText(text ?? '', caps);
  return { parts: texts.map((t) => ({ text: t })), ...(segments !== undefined ? { segments } : {}) };
}
