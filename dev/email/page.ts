import { escapeHtml } from '../html.ts';
import { addresses, type StoredMail } from './store.ts';

/*
 * The email page: every mail the bridge sent (invitations, offline forms), newest first, and the
 * chosen one with its links clickable. Server-rendered; a tiny script reloads it when mail arrives.
 */

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#1f1f1f;height:100vh;display:flex;flex-direction:column}
header{background:#3c4043;color:#fff;padding:10px 16px}
header h1{font-size:18px;margin:0;font-weight:600}
main{flex:1;display:flex;min-height:0}
nav{width:360px;border-right:1px solid #dadce0;overflow:auto}
nav a{display:block;padding:10px 14px;border-bottom:1px solid #f1f3f4;color:inherit;text-decoration:none}
nav a.current,nav a:hover{background:#e8f0fe}
nav small{display:block;color:#5f6368}
article{flex:1;overflow:auto;padding:16px 22px}
article h2{margin:0 0 8px;font-size:20px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;color:#5f6368;font-size:13px;margin:0 0 14px}
dd{margin:0}
pre{white-space:pre-wrap;font:inherit;background:#f8f9fa;padding:12px;border-radius:6px}
iframe{width:100%;height:60vh;border:1px solid #dadce0;border-radius:6px}
.links a{display:inline-block;margin:0 8px 8px 0}
.empty{color:#5f6368;padding:20px}
`;

export const RELOAD_SCRIPT = `new EventSource('/events').addEventListener('mail', () => location.reload());`;

/** Text with its URLs as links (opening in a new tab). */
export function linkify(text: string): string {
  return escapeHtml(text).replace(
    /https?:\/\/[^\s<>"')\]]+/g,
    (url) => `<a href="${url}" target="_blank" rel="noopener">${url}</a>`,
  );
}

function mailView(stored: StoredMail): string {
  const { mail } = stored;
  const text = mail.text ?? '';
  // The HTML part runs in a sandbox without scripts; its links open in a new tab.
  const html =
    typeof mail.html === 'string'
      ? `<iframe title="HTML version" sandbox="allow-popups allow-popups-to-escape-sandbox" srcdoc="${escapeHtml(
          `<base target="_blank">${mail.html}`,
        )}"></iframe>`
      : '';
  return `<article>
<h2>${escapeHtml(mail.subject ?? '(no subject)')}</h2>
<dl>
<dt>From</dt><dd>${escapeHtml(addresses(mail.from))}</dd>
<dt>To</dt><dd class="to">${escapeHtml(addresses(mail.to))}</dd>
<dt>Received</dt><dd>${escapeHtml(stored.receivedAt.toLocaleString())}</dd>
</dl>
${html}
<h3>Text version</h3>
<pre class="text">${linkify(text)}</pre>
</article>`;
}

export function emailPage(mails: StoredMail[], selectedId: string | null): string {
  const newest = [...mails].reverse();
  const selected = newest.find((m) => m.id === selectedId) ?? newest[0];
  const list = newest
    .map(
      (m) =>
        `<a href="/?id=${m.id}" class="${m === selected ? 'current' : ''}" data-id="${m.id}">${escapeHtml(
          m.mail.subject ?? '(no subject)',
        )}<small>to ${escapeHtml(addresses(m.mail.to))}</small><small>${escapeHtml(m.receivedAt.toLocaleString())}</small></a>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Email (${mails.length})</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>Email sent by the bridge</h1></header>
<main>
<nav>${list || '<p class="empty">No mail yet. Invitations and offline forms show up here.</p>'}</nav>
${selected ? mailView(selected) : '<article><p class="empty">Nothing selected.</p></article>'}
</main>
<script src="/app.js"></script>
</body>
</html>`;
}
