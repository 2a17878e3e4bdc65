import { readFileSync } from 'node:fs';
import { escapeHtml } from '../html.ts';

/*
 * The phone page: server-rendered HTML for the frame (business numbers, the customer's number and
 * name) and a small vanilla script (client.js, served as is) that renders the conversation from a
 * Server-Sent Events stream and sends what the customer types, taps and attaches.
 */

export const PAGE_SCRIPT = readFileSync(new URL('./client.js', import.meta.url), 'utf8');

const CHANNELS: Record<string, string> = { sms: 'SMS', whatsapp: 'WhatsApp' };

export interface PageSender {
  id: string;
  channel?: string;
  address?: string;
  label?: string;
}

export function senderLabel(s: PageSender): string {
  const channel = s.channel ? (CHANNELS[s.channel] ?? s.channel) : 'Sender';
  return `${channel} ${s.address ?? s.id.slice(0, 8)}${s.label ? ` (${s.label})` : ''}`;
}

export const DEFAULT_CUSTOMER = { from: '+14155550100', name: 'Ada Lovelace' };

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:15px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:#e9edef;color:#111b21;height:100vh;display:flex;flex-direction:column}
header{background:#075e54;color:#fff;padding:10px 16px;display:flex;align-items:center;gap:12px}
header h1{font-size:18px;margin:0;font-weight:600}
#live{font-size:12px;opacity:.85}
main{flex:1;display:flex;min-height:0}
aside{width:280px;background:#fff;border-right:1px solid #d1d7db;overflow:auto}
aside h2{font-size:13px;text-transform:uppercase;color:#54656f;margin:12px 14px 6px}
.thread-link{display:block;width:100%;text-align:left;border:0;background:none;padding:10px 14px;border-bottom:1px solid #f0f2f5;cursor:pointer;font:inherit}
.thread-link:hover,.thread-link.current{background:#f0f2f5}
.thread-link small{display:block;color:#667781;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
section{flex:1;display:flex;flex-direction:column;min-width:0}
#who{display:flex;flex-wrap:wrap;gap:8px;padding:10px 14px;background:#f0f2f5;border-bottom:1px solid #d1d7db;align-items:end}
#who label{display:flex;flex-direction:column;font-size:12px;color:#54656f;gap:2px}
#who input,#who select{font:inherit;padding:5px 8px;border:1px solid #d1d7db;border-radius:6px;background:#fff}
#thread{flex:1;overflow:auto;padding:14px 8%;background:#efeae2;display:flex;flex-direction:column;gap:6px}
.empty{color:#667781;text-align:center;margin-top:40px}
.msg{max-width:70%;padding:6px 9px 4px;border-radius:8px;box-shadow:0 1px .5px rgba(11,20,26,.13);white-space:pre-wrap;overflow-wrap:anywhere}
.msg.mt{align-self:flex-start;background:#fff}
.msg.mo{align-self:flex-end;background:#d9fdd3}
.msg img{max-width:260px;max-height:260px;display:block;border-radius:6px;margin-bottom:4px}
.msg .meta{font-size:11px;color:#667781;text-align:right;margin-top:2px}
.msg .ticks{margin-left:4px}
.msg.state-read .ticks{color:#53bdeb}
.msg.state-failed{background:#fde2e1}
.msg .error{font-size:12px;color:#b3261e}
.msg .template{font-size:12px;color:#54656f}
.options{display:flex;flex-direction:column;gap:4px;margin-top:6px}
.option{font:inherit;color:#027eb5;background:#fff;border:1px solid #d1d7db;border-radius:6px;padding:6px;cursor:pointer}
.option small{display:block;color:#667781}
details summary{cursor:pointer;color:#027eb5;margin-top:6px}
form#composer{display:flex;gap:8px;padding:10px 14px;background:#f0f2f5;align-items:center;flex-wrap:wrap}
#text{flex:1;min-width:200px;font:inherit;padding:9px 12px;border:1px solid #d1d7db;border-radius:20px}
button{font:inherit}
#send{background:#00a884;color:#fff;border:0;border-radius:20px;padding:8px 16px;cursor:pointer}
.quick{background:#fff;border:1px solid #d1d7db;border-radius:14px;padding:4px 10px;cursor:pointer;font-size:13px}
#status{font-size:12px;color:#b3261e;padding:0 14px 6px;background:#f0f2f5;min-height:18px}
`;

/** The page for `/`; the query may preselect ?sender=<id>&from=<number>&name=<profile name>. */
export function phonePage(senders: PageSender[], query: URLSearchParams): string {
  const wanted =
    query.get('sender') ?? senders.find((s) => s.channel === 'whatsapp')?.id ?? senders[0]?.id ?? '';
  const options = senders
    .map(
      (s) =>
        `<option value="${escapeHtml(s.id)}" data-channel="${escapeHtml(s.channel ?? '')}"${s.id === wanted ? ' selected' : ''}>${escapeHtml(senderLabel(s))}</option>`,
    )
    .join('');
  const from = query.get('from') ?? DEFAULT_CUSTOMER.from;
  const name = query.get('name') ?? DEFAULT_CUSTOMER.name;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Phone simulator</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>Phone simulator</h1><span id="live">connecting…</span></header>
<main>
<aside><h2>Conversations</h2><div id="threads"></div></aside>
<section>
<div id="who">
  <label>Business number<select id="sender" name="sender">${options || '<option value="">no sender yet</option>'}</select></label>
  <label>Customer's number<input id="from" name="from" value="${escapeHtml(from)}" inputmode="tel" autocomplete="off"></label>
  <label>Profile name<input id="name" name="name" value="${escapeHtml(name)}" autocomplete="off"></label>
</div>
<div id="thread" aria-live="polite"><p class="empty">No messages yet: write as the customer below.</p></div>
<form id="composer">
  <input id="file" type="file" accept="image/*,audio/*,video/*,application/pdf" title="Attach a file">
  <input id="text" name="text" placeholder="Type a message as the customer" autocomplete="off">
  <button id="send" type="submit">Send</button>
  <button class="quick" type="button" data-text="STOP">STOP</button>
  <button class="quick" type="button" data-text="START">START</button>
  <button class="quick" type="button" data-text="HELP">HELP</button>
  <button class="quick" type="button" id="location">Share location</button>
</form>
<div id="status" role="status"></div>
</section>
</main>
<script src="/page/app.js"></script>
</body>
</html>`;
}
