import { Html, html } from './html.ts';

/*
 * The invitation pages: plain server-rendered HTML with inline CSS, no script, so they work in any
 * browser with JavaScript off.
 */

const STYLE = `
  :root { color-scheme: light dark; --fg: #1b1f24; --muted: #57606a; --bg: #f6f8fa; --card: #fff;
          --accent: #0b6bcb; --border: #d0d7de; --error: #b42318; }
  @media (prefers-color-scheme: dark) {
    :root { --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --card: #161b22; --accent: #4493f8;
            --border: #30363d; --error: #f85149; }
  }
  * { box-sizing: border-box; }
  body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
         color: var(--fg); background: var(--bg); }
  main { max-width: 34rem; margin: 3rem auto; padding: 0 1rem; }
  .card { background: var(--card); border: 1px solid var(--border); border-radius: 10px; padding: 1.5rem 1.75rem;
          margin-bottom: 1.25rem; }
  h1 { font-size: 1.5rem; margin: 0 0 0.5rem; }
  h2 { font-size: 1.15rem; margin: 0 0 0.75rem; }
  p { margin: 0.5rem 0; }
  .muted { color: var(--muted); }
  label { display: block; font-weight: 600; margin: 0.9rem 0 0.25rem; }
  input[type=email], input[type=password], input[type=text] {
    width: 100%; padding: 0.55rem 0.7rem; font: inherit; color: inherit; background: var(--bg);
    border: 1px solid var(--border); border-radius: 6px; }
  input:focus { outline: 2px solid var(--accent); outline-offset: 1px; }
  .hint { font-size: 0.875rem; color: var(--muted); margin-top: 0.2rem; }
  button, .button { display: inline-block; margin-top: 1.25rem; padding: 0.6rem 1.2rem; font: inherit; font-weight: 600;
           color: #fff; background: var(--accent); border: 0; border-radius: 6px; cursor: pointer; text-decoration: none; }
  .error { color: var(--error); border-left: 3px solid var(--error); padding-left: 0.75rem; }
  code { font-size: 0.95em; }
`;

export function layout(title: string, body: Html | Html[]): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>${title}</title>
        <style>
          ${new Html(STYLE)}
        </style>
      </head>
      <body>
        <main>${body}</main>
      </body>
    </html>`.value;
}

export interface FormPage {
  action: string;
  csrf: string;
  spaceName: string;
  name: string;
  role: 'agent' | 'admin';
  expiresAt: Date;
  serverName: string;
  canCreate: boolean;
  minPasswordLength: number;
  error?: { form: 'create' | 'link'; message: string };
  values?: { email?: string; userId?: string };
}

const ROLE = {
  agent: 'agent — you will answer customers in conversation rooms',
  admin: 'admin — you will answer customers and steer the space from its control room',
};

export function invitationForm(page: FormPage): string {
  const error = (form: 'create' | 'link') =>
    page.error?.form === form ? html`<p class="error" role="alert">${page.error.message}</p>` : '';
  const email = page.values?.email ?? '';
  const create = page.canCreate
    ? html`<section class="card" aria-labelledby="create">
        <h2 id="create">Create your account</h2>
        <p class="muted">A new Matrix account on ${page.serverName}, with the password you choose here.</p>
        ${error('create')}
        <form method="post" action="${page.action}">
          <input type="hidden" name="csrf" value="${page.csrf}" />
          <input type="hidden" name="action" value="create" />
          <label for="create-email">Your email address</label>
          <input id="create-email" name="email" type="email" required autocomplete="email" value="${email}" />
          <p class="hint">The address this invitation was sent to.</p>
          <label for="password">Password</label>
          <input
            id="password"
            name="password"
            type="password"
            required
            minlength="${page.minPasswordLength}"
            autocomplete="new-password"
          />
          <p class="hint">At least ${page.minPasswordLength} characters.</p>
          <label for="confirm">Password again</label>
          <input
            id="confirm"
            name="confirm"
            type="password"
            required
            minlength="${page.minPasswordLength}"
            autocomplete="new-password"
          />
          <button type="submit">Create my account</button>
        </form>
      </section>`
    : html`<section class="card">
        <h2>New accounts</h2>
        ${error('create')}
        <p class="muted">
          New accounts cannot be created on this page: use a Matrix account you already have below.
        </p>
      </section>`;
  return layout(
    `Join ${page.spaceName}`,
    html`<section class="card">
        <h1>Join ${page.spaceName}</h1>
        <p>Hello ${page.name}, you are invited as <strong>${ROLE[page.role]}</strong>.</p>
        <p class="muted">This invitation works until ${page.expiresAt.toUTCString()}.</p>
      </section>
      ${create}
      <section class="card" aria-labelledby="link">
        <h2 id="link">I already have a Matrix account</h2>
        ${error('link')}
        <form method="post" action="${page.action}">
          <input type="hidden" name="csrf" value="${page.csrf}" />
          <input type="hidden" name="action" value="link" />
          <label for="link-email">Your email address</label>
          <input id="link-email" name="email" type="email" required autocomplete="email" value="${email}" />
          <label for="user-id">Matrix ID</label>
          <input
            id="user-id"
            name="userId"
            type="text"
            required
            placeholder="@you:example.com"
            value="${page.values?.userId ?? ''}"
          />
          <p class="hint">You will be invited to the space; accept the invitation in your Matrix client.</p>
          <button type="submit">Use this account</button>
        </form>
      </section>`,
  );
}

export function messagePage(
  title: string,
  paragraphs: string[],
  link?: { href: string; text: string },
): string {
  return layout(
    title,
    html`<section class="card">
      <h1>${title}</h1>
      ${paragraphs.map((p) => html`<p>${p}</p>`)}
      ${link ? html`<a class="button" href="${link.href}">${link.text}</a>` : ''}
    </section>`,
  );
}

export function donePage(options: {
  spaceName: string;
  userId: string;
  created: boolean;
  clientUrl: string;
}): string {
  const paragraphs = options.created
    ? [
        `Your account ${options.userId} is ready and you are a member of ${options.spaceName}.`,
        `Sign in to your Matrix client with ${options.userId} and the password you just chose.`,
      ]
    : [
        `${options.userId} has a seat in ${options.spaceName}.`,
        'You have been invited to the space: accept the invitation in your Matrix client.',
      ];
  return messagePage('You are in', paragraphs, { href: options.clientUrl, text: 'Open your Matrix client' });
}
