import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { errorInfo, logger } from '../bridge/log.ts';
import { DEFAULT_PORTS, PORT_SETTINGS, PortInUseError, type DevPorts } from './config.ts';
import { StackRunningError } from './instance.ts';
import { killChildrenOnSignals } from './process.ts';
import { DEFAULT_DIR, startDevStack, type DevStack } from './stack.ts';

/*
 * `livechat-bridge dev` (npm run dev): starts the local stack, prints where everything is, and
 * stops every part on Ctrl-C (SIGINT) or SIGTERM. A second signal exits at once (the children are
 * still killed by the exit hook).
 */

const log = logger('dev.cli');

const HELP = `livechat-bridge dev — Synapse, the bridge with an embedded Postgres, a phone simulator and an email page

Usage: npm run dev [-- OPTIONS]   (or: node cli.ts dev [OPTIONS])

Options (each also as an environment variable):
  --dir DIR              where data lives (LIVECHAT_DEV_DIR; default .dev in the repository)
${(Object.keys(PORT_SETTINGS) as (keyof DevPorts)[])
  .map((k) => {
    const s = PORT_SETTINGS[k];
    const def = DEFAULT_PORTS[k] || 'a free port';
    return `  ${`${s.flag} N`.padEnd(22)} ${s.what} (${s.env}; default ${def})`;
  })
  .join('\n')}
  --log-level LEVEL      fatal, error, warn, info, debug, trace (LOG_LEVEL; default info)
  --log-format FORMAT    pretty or json (default pretty)
  --demo                 play the example headless on a fresh stack and print the transcript
                         (npm run demo); exits 0 only if every step happened
  --keep                 with --demo: keep the demo's data directory
  -h, --help             this text

Delete the data directory to start over.`;

function portFrom(name: keyof DevPorts, value: string | undefined): number | undefined {
  const raw = value ?? process.env[PORT_SETTINGS[name].env];
  if (raw === undefined || raw === '') return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(`${PORT_SETTINGS[name].flag} must be a port number (1-65535), got "${raw}"`);
  }
  return port;
}

class UsageError extends Error {}

function banner(stack: DevStack): string {
  const rel = (p: string) => {
    const r = relative(process.cwd(), p);
    return r && !r.startsWith('..') ? r : p;
  };
  const width = Math.max(...stack.credentials.map((c) => c.userId.length));
  const accounts = stack.credentials
    .map(
      (c) =>
        `    ${c.role.padEnd(6)} ${c.userId.padEnd(width)}  password: ${c.password ?? '(unknown: made before the secrets file; delete the data directory to start over)'}`,
    )
    .join('\n');
  const senders = stack.seeded.senders
    .map((s) => `${s.channel === 'whatsapp' ? 'WhatsApp' : 'SMS'} ${s.address} (${s.mode})`)
    .join(', ');
  const campaign = {
    created: 'campaign "Help Package" on WhatsApp (write "Help Package" from the phone)',
    exists: 'campaign "Help Package" on WhatsApp (write "Help Package" from the phone)',
    unavailable: 'no campaign (this build has no campaigns API yet)',
    failed: 'no campaign (the API refused it: see the warning above)',
  }[stack.seeded.campaign];
  return `
The dev stack is up.

  Phone simulator   ${stack.urls.phone}
  Email             ${stack.urls.email}
  Homeserver        ${stack.urls.homeserver}   (Element or any Matrix client: sign in with a password below)
  Provisioning API  ${stack.urls.provisioning}
                    Authorization: Bearer ${stack.provisioningToken}
  OpenAPI           ${stack.urls.openapi}
  Health            ${stack.urls.appservice}/ready

  Space "${stack.seeded.space.name}": ${senders}; ${campaign}
  Accounts on localhost:
${accounts}

  Data in ${rel(stack.dir)} (config.yaml, secrets.json, synapse/, postgres/, phone/, email/); delete it to start over.
  Synapse's log: ${rel(stack.paths.logs)}/synapse.log
  Ctrl-C stops everything.
`;
}

export async function runDev(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        dir: { type: 'string' },
        ...Object.fromEntries(
          Object.values(PORT_SETTINGS).map((s) => [s.flag.slice(2), { type: 'string' as const }]),
        ),
        'log-level': { type: 'string' },
        'log-format': { type: 'string' },
        demo: { type: 'boolean', default: false },
        keep: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (values.demo) {
    // npm run demo: a fresh stack of its own (free ports, a temporary directory), played headless.
    const { runDemo } = await import('./demo/run.ts');
    return runDemo({ keep: Boolean(values.keep) });
  }
  const v = values as unknown as Record<string, string | undefined>;
  const ports: Partial<DevPorts> = {};
  let logging: { level: string; format: 'json' | 'pretty' };
  try {
    for (const name of Object.keys(PORT_SETTINGS) as (keyof DevPorts)[]) {
      const port = portFrom(name, v[PORT_SETTINGS[name].flag.slice(2)]);
      if (port !== undefined) ports[name] = port;
    }
    const level = v['log-level'] ?? process.env.LOG_LEVEL ?? 'info';
    if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(level))
      throw new UsageError(`--log-level must be fatal, error, warn, info, debug, trace or silent`);
    const format = v['log-format'] ?? 'pretty';
    if (format !== 'pretty' && format !== 'json') throw new UsageError('--log-format must be pretty or json');
    logging = { level, format };
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(err.message);
    return 2;
  }

  // The stack stops its children itself, in order; the exit hook stays as the safety net.
  killChildrenOnSignals(false);
  const aborter = new AbortController();
  let signalled: ((signal: string) => void) | undefined;
  let pending: string | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (pending !== undefined) {
      log.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    pending = signal;
    aborter.abort(new Error(`${signal} during start-up`));
    signalled?.(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let stack: DevStack;
  try {
    stack = await startDevStack({
      dir: v.dir ?? process.env.LIVECHAT_DEV_DIR ?? DEFAULT_DIR,
      ports,
      logging,
      signal: aborter.signal,
    });
  } catch (err) {
    if (pending !== undefined) {
      log.info({ signal: pending }, 'interrupted during start-up: what had started is stopped');
      return 0;
    }
    if (err instanceof StackRunningError || err instanceof PortInUseError) {
      console.error(err.message);
      return 1;
    }
    // The message says what to do; the stack trace is for whoever asked for debug logs.
    const detailed = logging.level === 'debug' || logging.level === 'trace';
    const text = err instanceof Error ? (detailed ? (err.stack ?? err.message) : err.message) : String(err);
    console.error(`The dev stack could not start: ${text}`);
    return 1;
  }
  console.log(banner(stack));
  const signal = await new Promise<string>((resolve) => {
    if (pending !== undefined) resolve(pending);
    else signalled = resolve;
  });
  log.info({ signal }, 'shutting down');
  try {
    await stack.stop();
    return 0;
  } catch (err) {
    log.error(errorInfo(err), 'the dev stack did not stop cleanly');
    return 1;
  }
}
