import { pino, type Logger, type LoggerOptions } from 'pino';
import pretty from 'pino-pretty';

/*
 * One named logger per module. Modules create theirs at import time, before the configuration is
 * read, so a logger resolves the current root on each call: configureLogging() takes effect for
 * loggers that already exist.
 */

export type Log = Pick<Logger, 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'> & {
  child(bindings: Record<string, unknown>): Log;
};

export interface LoggingOptions {
  level: string;
  format: 'json' | 'pretty';
}

// Secrets never reach the logs, whatever a caller passes in an object.
const REDACT = [
  'token',
  'password',
  'secret',
  'authToken',
  'accessToken',
  'as_token',
  'hs_token',
  'credentials',
  'authorization',
  'apiKey',
  '*.token',
  '*.password',
  '*.secret',
  '*.authToken',
  '*.accessToken',
  '*.as_token',
  '*.hs_token',
  '*.credentials',
  '*.authorization',
  '*.apiKey',
  '*.headers.authorization',
  '*.headers["x-twilio-signature"]',
  '*.headers["x-hub-signature-256"]',
];

function createRoot(options: LoggingOptions): Logger {
  const base: LoggerOptions = {
    level: options.level,
    redact: { paths: REDACT, censor: '[redacted]' },
    base: { pid: process.pid },
  };
  if (options.format === 'pretty') {
    // In this thread and synchronous: a terminal shows lines in the order they were written, mixed
    // with the CLI's own output (the dev stack's banner), and nothing is lost on exit.
    return pino(
      base,
      pretty({
        colorize: Boolean(process.stdout.isTTY),
        sync: true,
        translateTime: 'HH:MM:ss.l',
        ignore: 'pid,hostname,module',
        messageFormat: '{if module}{module}: {end}{msg}',
      }),
    );
  }
  return pino(base);
}

let root: Logger = createRoot({ level: process.env.LOG_LEVEL ?? 'info', format: 'json' });
let generation = 0;

export function configureLogging(options: LoggingOptions): void {
  root = createRoot(options);
  generation++;
}

function wrap(resolve: () => Logger): Log {
  const call =
    (level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace') =>
    (...args: unknown[]) =>
      (resolve()[level] as (...a: unknown[]) => void)(...args);
  return {
    fatal: call('fatal'),
    error: call('error'),
    warn: call('warn'),
    info: call('info'),
    debug: call('debug'),
    trace: call('trace'),
    child: (bindings) => {
      let cached: Logger | undefined;
      let seen = -1;
      return wrap(() => {
        if (seen !== generation || !cached) {
          cached = resolve().child(bindings);
          seen = generation;
        }
        return cached;
      });
    },
  } as Log;
}

/** The logger of one module, e.g. logger('bridge.store'). */
export function logger(module: string): Log {
  let cached: Logger | undefined;
  let seen = -1;
  return wrap(() => {
    if (seen !== generation || !cached) {
      cached = root.child({ module });
      seen = generation;
    }
    return cached;
  });
}

/** Error details worth logging, without request objects that may carry credentials. */
export function errorInfo(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    const extra = err as Error & { code?: unknown; errcode?: unknown; statusCode?: unknown };
    return {
      err: {
        name: err.name,
        message: err.message,
        code: extra.code ?? extra.errcode,
        status: extra.statusCode,
        stack: err.stack,
      },
    };
  }
  return { err: String(err) };
}
