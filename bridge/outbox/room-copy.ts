import type { OutboxContent } from '../store/outbox.ts';
import { msgtypeFor } from '../inbox/content.ts';
import { menuAsText } from './parts.ts';

/** What the room shows of a message the bot sends a customer (the bot posts it as itself). */
export function roomCopyContent(content: OutboxContent): Record<string, unknown> {
  if (content.template) {
    const { name, language, parameters } = content.template;
    const params = parameters.length ? `: ${parameters.join(' | ')}` : '';
    return { msgtype: 'm.text', body: `Template ${name} (${language})${params}` };
  }
  if (content.media) {
    const filename = content.media.filename ?? 'file';
    return {
      msgtype: msgtypeFor(content.media.mimeType),
      body: content.text ?? filename,
      ...(content.text ? { filename } : {}),
      url: content.media.mxc,
      info: { mimetype: content.media.mimeType, ...(content.media.size ? { size: content.media.size } : {}) },
    };
  }
  if (content.interactive) return { msgtype: 'm.text', body: menuAsText(content.interactive) };
  return { msgtype: 'm.text', body: content.text ?? '' };
}
