import type { InboundMessage } from '../providers/types.ts';
import type { UploadedMedia } from '../store/inbox.ts';

/** Matrix message contents for what a customer sent. */

export function msgtypeFor(mimeType: string): 'm.image' | 'm.audio' | 'm.video' | 'm.file' {
  const top = mimeType.split('/')[0]?.toLowerCase();
  if (top === 'image') return 'm.image';
  if (top === 'audio') return 'm.audio';
  if (top === 'video') return 'm.video';
  return 'm.file';
}

/** A file name for media the channel sent without one ("image.jpeg"). */
export function defaultFilename(mimeType: string): string {
  const [top = 'file', sub = 'bin'] = mimeType.toLowerCase().split(';')[0]!.trim().split('/');
  const kind = ['image', 'audio', 'video'].includes(top) ? top : 'file';
  const ext = sub.replace(/^(x-|vnd\.)/, '').replace(/[^a-z0-9]/g, '') || 'bin';
  return `${kind}.${ext}`;
}

export function textContent(body: string): Record<string, unknown> {
  return { msgtype: 'm.text', body };
}

/** A media event; a caption becomes the body and the name goes to `filename` (Matrix captions). */
export function mediaContent(media: UploadedMedia, caption?: string): Record<string, unknown> {
  const filename = media.filename ?? defaultFilename(media.mimeType);
  return {
    msgtype: msgtypeFor(media.mimeType),
    body: caption ?? filename,
    ...(caption ? { filename } : {}),
    url: media.mxc,
    info: { mimetype: media.mimeType, size: media.size },
  };
}

export function locationContent(location: NonNullable<InboundMessage['location']>): Record<string, unknown> {
  const geo = `geo:${location.latitude},${location.longitude}`;
  const label = [location.name, location.address].filter(Boolean).join(', ');
  return {
    msgtype: 'm.location',
    body: label ? `Location: ${label} (${geo})` : `Location: ${geo}`,
    geo_uri: geo,
  };
}

/** A tapped button or list row shows as the text the customer chose. */
export function replyContent(reply: NonNullable<InboundMessage['reply']>): Record<string, unknown> {
  return { msgtype: 'm.text', body: reply.title };
}
