/*
 * What the Cloud API checks in a send before accepting it, with the codes it answers
 * (100: a missing or malformed parameter; 131009: a value outside WhatsApp's limits).
 */

export interface Invalid {
  code: number;
  message: string;
}

const MEDIA = ['image', 'audio', 'video', 'document', 'sticker'];

type Obj = Record<string, unknown>;

const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const missing = (name: string): Invalid => ({
  code: 100,
  message: `(#100) The parameter ${name} is required.`,
});
const invalid = (what: string): Invalid => ({
  code: 131009,
  message: `(#131009) Parameter value is not valid: ${what}`,
});

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function interactive(i: Obj): Invalid | undefined {
  const body = isObj(i.body) ? text(i.body.text) : undefined;
  if (!body) return missing('interactive.body.text');
  if (body.length > 1024) return invalid('interactive.body.text is longer than 1024 characters');
  const action = isObj(i.action) ? i.action : undefined;
  if (!action) return missing('interactive.action');
  if (i.type === 'button') {
    const buttons = Array.isArray(action.buttons) ? action.buttons : [];
    if (buttons.length < 1 || buttons.length > 3) return invalid('buttons must have 1 to 3 items');
    const titles = new Set<string>();
    for (const b of buttons) {
      const reply = isObj(b) && isObj(b.reply) ? b.reply : undefined;
      const title = text(reply?.title);
      if (!reply || !text(reply.id) || !title)
        return missing('interactive.action.buttons[].reply.{id,title}');
      if (title.length > 20) return invalid(`button title "${title}" is longer than 20 characters`);
      if (titles.has(title)) return invalid(`button titles must be unique ("${title}")`);
      titles.add(title);
    }
    return undefined;
  }
  if (i.type === 'list') {
    const button = text(action.button);
    if (!button) return missing('interactive.action.button');
    if (button.length > 20) return invalid('the list button label is longer than 20 characters');
    const sections = Array.isArray(action.sections) ? action.sections : [];
    if (sections.length < 1 || sections.length > 10) return invalid('sections must have 1 to 10 items');
    let rows = 0;
    for (const s of sections) {
      const list = isObj(s) && Array.isArray(s.rows) ? s.rows : [];
      if (sections.length > 1 && !(isObj(s) && text(s.title)))
        return missing('interactive.action.sections[].title');
      for (const r of list) {
        rows++;
        const title = isObj(r) ? text(r.title) : undefined;
        if (!isObj(r) || !text(r.id) || !title)
          return missing('interactive.action.sections[].rows[].{id,title}');
        if (title.length > 24) return invalid(`row title "${title}" is longer than 24 characters`);
        if (typeof r.description === 'string' && r.description.length > 72) {
          return invalid('a row description is longer than 72 characters');
        }
      }
    }
    if (rows < 1 || rows > 10) return invalid('a list must have 1 to 10 rows in all');
    return undefined;
  }
  return invalid(`interactive type "${String(i.type)}"`);
}

export function validateSend(json: Obj, knownMedia: (id: string) => boolean): Invalid | undefined {
  if (json.messaging_product !== 'whatsapp') return missing('messaging_product');
  const to = json.to ?? json.recipient;
  if (typeof to !== 'string' || !to) return missing('to');
  if (json.to !== undefined && !/^\+?\d{7,15}$/.test(String(json.to))) {
    return { code: 100, message: `(#100) Invalid parameter: to "${String(json.to)}" is not a phone number` };
  }
  const type = json.type ?? 'text';
  if (type === 'text') {
    const body = isObj(json.text) ? text(json.text.body) : undefined;
    if (!body) return missing('text.body');
    if (body.length > 4096) return invalid('text.body is longer than 4096 characters');
    return undefined;
  }
  if (typeof type === 'string' && MEDIA.includes(type)) {
    const media = json[type];
    if (!isObj(media)) return missing(type);
    if (!text(media.id) && !text(media.link)) return missing(`${type}.id or ${type}.link`);
    if (media.id !== undefined && !knownMedia(String(media.id))) {
      return { code: 100, message: `(#100) Invalid parameter: media id ${String(media.id)} does not exist` };
    }
    if (media.caption !== undefined && (type === 'audio' || type === 'sticker')) {
      return invalid(`${type} messages take no caption`);
    }
    return undefined;
  }
  if (type === 'interactive')
    return isObj(json.interactive) ? interactive(json.interactive) : missing('interactive');
  if (type === 'template') {
    const t = isObj(json.template) ? json.template : undefined;
    if (!t || !text(t.name)) return missing('template.name');
    if (!isObj(t.language) || !text(t.language.code)) return missing('template.language.code');
    return undefined;
  }
  return { code: 131051, message: `(#131051) Unsupported message type: ${String(type)}` };
}
