import { convert } from 'html-to-text';

/*
 * What a customer's phone shows of an agent's Matrix message: plain text. HTML is flattened (lists,
 * links with their URL, no markup), the quoted original of a reply is dropped, and mentions of
 * Matrix users keep only the name.
 */

const MATRIX_TO_LINK = /<a\s[^>]*href="https:\/\/matrix\.to\/#\/[^"]*"[^>]*>([\s\S]*?)<\/a>/gi;

function fromHtml(html: string): string {
  const withoutReply = html.replace(/<mx-reply>[\s\S]*?<\/mx-reply>/gi, '').replace(MATRIX_TO_LINK, '$1');
  return convert(withoutReply, {
    wordwrap: false,
    selectors: [
      { selector: 'a', options: { hideLinkHrefIfSameAsText: true, linkBrackets: ['(', ')'] } },
      { selector: 'img', format: 'skip' },
      ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({
        selector,
        options: { uppercase: false },
      })),
      { selector: 'table', options: { uppercaseHeaderCells: false } },
    ],
  }).trim();
}

/** Removes the "> <@user> quoted text" lines a client puts before the answer to a reply. */
export function stripReplyFallback(body: string): string {
  const lines = body.split('\n');
  let i = 0;
  while (i < lines.length && lines[i]!.startsWith('>')) i++;
  if (i === 0) return body;
  if (lines[i] === '') i++;
  return lines.slice(i).join('\n');
}

export function plainText(content: Record<string, unknown>): string {
  const isReply = Boolean(
    (content['m.relates_to'] as { 'm.in_reply_to'?: unknown } | undefined)?.['m.in_reply_to'],
  );
  if (content.format === 'org.matrix.custom.html' && typeof content.formatted_body === 'string') {
    return fromHtml(content.formatted_body);
  }
  const body = typeof content.body === 'string' ? content.body : '';
  return (isReply ? stripReplyFallback(body) : body).trim();
}
