import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { randomHex, sendJson } from './http.ts';
import { readUpload, sendMetaError, type MetaUpload } from './meta-contract.ts';

/*
 * Media as the Meta fake (meta.ts) keeps it: a media id, from an upload or for a customer's
 * attachment, resolves (GET /{version}/{id}) to a download URL and the file's facts; that URL needs
 * the bearer token too (checked before these answers) and carries a token of its own here.
 */

interface Hosted {
  data: Buffer;
  mimeType: string;
  token: string;
}

export class MetaMediaStore {
  private readonly items = new Map<string, Hosted>();

  /** Hosts bytes as a WhatsApp media id. */
  host(data: Buffer, mimeType: string): string {
    const id = String(1_000_000_000_000_000 + Math.floor(Math.random() * 1e15));
    this.items.set(id, { data, mimeType, token: randomHex(12) });
    return id;
  }

  has(id: string): boolean {
    return this.items.has(id);
  }

  /** A multipart upload (messaging_product, type, file), hosted; or what Meta would say is wrong. */
  async upload(contentType: string | undefined, body: Buffer): Promise<MetaUpload | { error: string }> {
    const upload = await readUpload(contentType, body);
    if ('error' in upload) return upload;
    return { id: this.host(upload.data, upload.type), ...upload };
  }

  /** Answers GET /{version}/{id}: where to download the file, and what it is. */
  answerLookup(res: ServerResponse, id: string, baseUrl: string): void {
    const hosted = this.items.get(id);
    if (!hosted)
      return sendMetaError(res, 100, `Unsupported get request. Object with ID '${id}' does not exist`);
    sendJson(res, 200, {
      messaging_product: 'whatsapp',
      url: `${baseUrl}/media-download/${id}?token=${hosted.token}`,
      mime_type: hosted.mimeType,
      sha256: createHash('sha256').update(hosted.data).digest('hex'),
      file_size: hosted.data.length,
      id,
    });
  }

  /** Answers GET /media-download/{id}?token=… with the bytes. */
  answerDownload(res: ServerResponse, id: string, token: string | null): void {
    const hosted = this.items.get(id);
    if (!hosted || token !== hosted.token) return sendMetaError(res, 100, 'Media not found');
    res.writeHead(200, { 'content-type': hosted.mimeType, 'content-length': String(hosted.data.length) });
    res.end(hosted.data);
  }
}
