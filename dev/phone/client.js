// The phone page's script (plain browser JavaScript, served as is). It keeps every message the
// simulator knows, shows the open conversation, tells the simulator what is on screen (delivery
// and read ticks for the business), and sends what the customer writes, taps and attaches.
'use strict';

const $ = (id) => document.getElementById(id);
const senderSelect = $('sender');
const fromInput = $('from');
const nameInput = $('name');
const thread = $('thread');
const threads = $('threads');
const statusLine = $('status');
const live = $('live');

const messages = new Map();
const rendered = new Map();
let senders = [];

const CHANNELS = { sms: 'SMS', whatsapp: 'WhatsApp' };
const TICKS = { sending: '🕓', delivered: '✓✓', read: '✓✓', failed: '⚠' };

function canonical(number) {
  const digits = number.replace(/[^0-9]/g, '');
  return digits ? '+' + digits : number.trim();
}

function senderLabel(s) {
  const channel = CHANNELS[s.channel] || 'Sender';
  return channel + ' ' + (s.address || s.id.slice(0, 8)) + (s.label ? ' (' + s.label + ')' : '');
}

function current() {
  return { senderId: senderSelect.value, customer: canonical(fromInput.value) };
}

function channelOf(senderId) {
  return senders.find((s) => s.id === senderId)?.channel;
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === 'class') node.className = value;
    else if (key.startsWith('data-')) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}

function time(at) {
  return new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

function renderMedia(media) {
  if (!media) return null;
  if (media.mimeType.startsWith('image/'))
    return el('img', { src: media.href, alt: media.filename || 'image' });
  return el(
    'a',
    { href: media.href, target: '_blank', rel: 'noopener' },
    '📎 ' + (media.filename || media.mimeType),
  );
}

function renderOptions(m) {
  const { interactive } = m;
  const buttons = interactive.options.map((o) =>
    el(
      'button',
      { type: 'button', class: 'option', 'data-id': o.id, onclick: () => tap(m, o) },
      o.title,
      o.description ? el('small', {}, o.description) : null,
    ),
  );
  const options = el('div', { class: 'options' }, ...buttons);
  if (interactive.style !== 'list') return options;
  return el('details', {}, el('summary', {}, interactive.listButton || 'Options'), options);
}

function renderMessage(m) {
  const node = el('div', { class: 'msg ' + m.direction + ' state-' + m.state, 'data-id': m.id });
  if (m.template) {
    node.append(
      el('div', { class: 'template' }, 'Template ' + m.template.name + ' (' + m.template.language + ')'),
    );
    if (m.template.parameters.length) node.append(el('div', {}, m.template.parameters.join(' · ')));
  }
  node.append(renderMedia(m.media) || '');
  if (m.media?.caption) node.append(el('div', {}, m.media.caption));
  if (m.interactive) node.append(el('div', { class: 'text' }, m.interactive.body), renderOptions(m));
  else if (m.text) node.append(el('div', { class: 'text' }, m.text));
  if (m.reply) node.append(el('div', { class: 'text' }, m.reply.title));
  if (m.location) {
    const { latitude, longitude, name } = m.location;
    node.append(el('div', { class: 'text' }, '📍 ' + (name ? name + ' ' : '') + latitude + ', ' + longitude));
  }
  const meta = el('div', { class: 'meta' }, time(m.at));
  if (m.direction === 'mo') {
    // SMS shows one tick (the carrier took it); WhatsApp two, blue once read.
    const ticks =
      channelOf(m.senderId) === 'sms' && m.state !== 'sending' && m.state !== 'failed'
        ? '✓'
        : TICKS[m.state] || '';
    meta.append(el('span', { class: 'ticks', title: m.state }, ticks));
  }
  node.append(meta);
  if (m.error) node.append(el('div', { class: 'error' }, m.error));
  return node;
}

function renderThreads() {
  const latest = new Map();
  for (const m of messages.values()) {
    const key = m.senderId + ' ' + m.customer;
    const seen = latest.get(key);
    if (!seen || seen.at <= m.at) latest.set(key, { ...m, profileName: m.profileName || seen?.profileName });
    else if (!seen.profileName && m.profileName) seen.profileName = m.profileName;
  }
  const { senderId, customer } = current();
  const rows = [...latest.values()].sort((a, b) => b.at - a.at);
  threads.replaceChildren(
    ...rows.map((m) => {
      const sender = senders.find((s) => s.id === m.senderId);
      const button = el(
        'button',
        {
          type: 'button',
          class: 'thread-link' + (m.senderId === senderId && m.customer === customer ? ' current' : ''),
        },
        (m.profileName ? m.profileName + ' ' : '') + m.customer,
        el('small', {}, sender ? senderLabel(sender) : m.senderId),
        el('small', {}, m.text || m.interactive?.body || m.reply?.title || (m.media ? '📎 file' : '')),
      );
      button.onclick = () => {
        senderSelect.value = m.senderId;
        fromInput.value = m.customer;
        if (m.profileName) nameInput.value = m.profileName;
        changed();
      };
      return button;
    }),
  );
}

function render() {
  const { senderId, customer } = current();
  const shown = [...messages.values()]
    .filter((m) => m.senderId === senderId && m.customer === customer)
    .sort((a, b) => a.at - b.at);
  const atBottom = thread.scrollHeight - thread.scrollTop - thread.clientHeight < 40;
  if (shown.length === 0) {
    thread.replaceChildren(el('p', { class: 'empty' }, 'No messages yet: write as the customer below.'));
  } else {
    // A message keeps its element while its content is unchanged: a new tick or error is updated
    // in place, so an open list stays open and a button under the pointer stays where it is.
    const nodes = shown.map((m) => {
      const content = JSON.stringify({ ...m, state: undefined, error: undefined });
      const cached = rendered.get(m.id);
      if (cached && cached.content === content) {
        if (cached.state !== m.state || cached.error !== m.error) {
          const fresh = renderMessage(m);
          cached.node.className = fresh.className;
          cached.node.querySelector('.meta')?.replaceWith(fresh.querySelector('.meta'));
          cached.node.querySelector('.error')?.remove();
          const error = fresh.querySelector('.error');
          if (error) cached.node.append(error);
          cached.state = m.state;
          cached.error = m.error;
        }
        return cached.node;
      }
      const node = renderMessage(m);
      rendered.set(m.id, { content, state: m.state, error: m.error, node });
      return node;
    });
    const same = nodes.length === thread.children.length && nodes.every((n, i) => thread.children[i] === n);
    if (!same) thread.replaceChildren(...nodes);
  }
  if (atBottom || shown.length < 3) thread.scrollTop = thread.scrollHeight;
  renderThreads();
  report();
}

// What the phone has (delivered) and what is on screen in the open conversation (read).
let reportTimer;
function report() {
  clearTimeout(reportTimer);
  reportTimer = setTimeout(() => {
    const business = [...messages.values()].filter((m) => m.direction === 'mt');
    const delivered = business.filter((m) => m.state === 'queued' || m.state === 'sent').map((m) => m.id);
    if (delivered.length) post('/page/api/delivered', { ids: delivered });
    if (document.visibilityState !== 'visible') return;
    const { senderId, customer } = current();
    const read = business
      .filter((m) => m.senderId === senderId && m.customer === customer && m.state !== 'read')
      .filter((m) => channelOf(m.senderId) === 'whatsapp' || m.state !== 'delivered')
      .map((m) => m.id);
    if (read.length) post('/page/api/read', { ids: read });
  }, 150);
}

async function post(path, body) {
  const res = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(answer.error?.message || 'HTTP ' + res.status);
  return answer;
}

function show(error) {
  statusLine.textContent = error ? String(error.message || error) : '';
}

async function send(extra) {
  const { senderId } = current();
  if (!senderId) return show('No business number yet: the dev stack creates them at start-up.');
  show('');
  try {
    await post('/page/api/messages', {
      senderId,
      from: fromInput.value,
      ...(nameInput.value.trim() ? { profileName: nameInput.value.trim() } : {}),
      ...extra,
    });
  } catch (err) {
    show(err);
  }
}

function tap(message, option) {
  send({ reply: { id: option.id, title: option.title }, inReplyTo: message.id });
}

$('composer').addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = $('text').value;
  const file = $('file').files[0];
  if (!text.trim() && !file) return;
  let media = {};
  if (file) {
    try {
      const res = await fetch('/page/api/media', {
        method: 'POST',
        headers: { 'content-type': file.type || 'application/octet-stream', 'x-phone-page': '1' },
        body: file,
      });
      const answer = await res.json();
      if (!res.ok) throw new Error(answer.error?.message || 'upload failed');
      media = { mediaKey: answer.key, filename: file.name };
    } catch (err) {
      return show(err);
    }
  }
  $('text').value = '';
  $('file').value = '';
  await send({ ...(text.trim() ? { text } : {}), ...media });
});

for (const button of document.querySelectorAll('.quick[data-text]')) {
  button.addEventListener('click', () => send({ text: button.dataset.text }));
}
$('location').addEventListener('click', () =>
  send({ location: { latitude: 48.8584, longitude: 2.2945, name: 'Eiffel Tower' } }),
);

function changed() {
  const params = new URLSearchParams({
    sender: senderSelect.value,
    from: fromInput.value,
    name: nameInput.value,
  });
  history.replaceState(null, '', '?' + params);
  render();
}
senderSelect.addEventListener('change', changed);
fromInput.addEventListener('change', changed);
nameInput.addEventListener('change', changed);
document.addEventListener('visibilitychange', report);

function setSenders(list) {
  senders = list;
  const chosen = senderSelect.value;
  senderSelect.replaceChildren(
    ...list.map((s) =>
      el(
        'option',
        { value: s.id, selected: s.id === chosen, 'data-channel': s.channel || '' },
        senderLabel(s),
      ),
    ),
  );
  if (!list.some((s) => s.id === chosen) && list.length) {
    senderSelect.value = (list.find((s) => s.channel === 'whatsapp') || list[0]).id;
  }
}

function connect() {
  const source = new EventSource('/page/events');
  source.addEventListener('open', () => (live.textContent = 'live'));
  source.addEventListener('error', () => (live.textContent = 'reconnecting…'));
  source.addEventListener('snapshot', (event) => {
    const data = JSON.parse(event.data);
    setSenders(data.senders);
    messages.clear();
    for (const m of data.messages) messages.set(m.id, m);
    render();
  });
  source.addEventListener('message', (event) => {
    const m = JSON.parse(event.data);
    messages.set(m.id, m);
    render();
  });
}
connect();
