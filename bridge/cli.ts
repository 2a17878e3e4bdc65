import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/load.ts';
import {
  assertRegistrationMatches,
  generateRegistration,
  loadRegistration,
  writeRegistration,
  type Registration,
} from '../config/registration.ts';
import type { Config } from '../config/schema.ts';
import { configureLogging, errorInfo, logger } from './log.ts';
import { HomeserverUnavailableError } from './matrix/gateway.ts';
import { DatabaseUnavailableError } from './store/db.ts';
import { MigrationError } from './store/migrate.ts';

const log = logger('bridge.cli');

export interface Startable {
  stop(): Promise<void>;
}
export type StartFn = (config: Config, registration: Registration) => Promise<Startable>;
export type DevFn = (argv: string[]) => Promise<number>;

const HELP = `livechat-bridge — answer SMS and WhatsApp customers from Matrix

Usage:
  livechat-bridge -r -u URL [-c config.yaml] [-f registration.yaml] [--force]
      Write the appservice registration for the homeserver. URL is where the homeserver
      reaches this bridge (e.g. http://localhost:9993).
  livechat-bridge [-c config.yaml] [-f registration.yaml]
      Run the bridge.
  livechat-bridge validate-config -c config.yaml [-f registration.yaml]
      Check a configuration (and that a registration matches it); print every problem.
  livechat-bridge dev
      Start a local stack: Synapse, the bridge with an embedded Postgres, a phone simulator and
      an email page (livechat-bridge dev --help for its options).

Options:
  -c, --config FILE    configuration file (default: config.yaml)
  -f, --file FILE      registration file (default: registration.yaml)
  -r, --generate-registration
  -u, --url URL        appservice URL for -r
      --force          overwrite an existing registration file with -r
  -h, --help           this text
  -v, --version        print the version
`;

/** Errors that explain themselves: print the message alone, no stack trace. */
function isExpected(err: unknown): err is Error {
  return (
    err instanceof ConfigError ||
    err instanceof DatabaseUnavailableError ||
    err instanceof HomeserverUnavailableError ||
    err instanceof MigrationError
  );
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** Runs the CLI; resolves with the process exit code (the bridge itself resolves on shutdown). */
export async function runCli(argv: string[], start: StartFn, dev?: DevFn): Promise<number> {
  if (argv[0] === 'dev') {
    if (!dev) {
      console.error('livechat-bridge dev is not available in this build.');
      return 2;
    }
    return dev(argv.slice(1));
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c', default: 'config.yaml' },
        file: { type: 'string', short: 'f', default: 'registration.yaml' },
        'generate-registration': { type: 'boolean', short: 'r', default: false },
        url: { type: 'string', short: 'u' },
        force: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', short: 'v', default: false },
      },
    });
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (values.version) {
    console.log(version());
    return 0;
  }
  const command = positionals[0];
  if (command !== undefined && command !== 'validate-config') {
    console.error(`Unknown command "${command}".\n\n${HELP}`);
    return 2;
  }

  try {
    if (command === 'validate-config') {
      const config = await loadConfig(values.config);
      if (argv.some((a) => a === '-f' || a === '--file' || a.startsWith('--file='))) {
        assertRegistrationMatches(config, await loadRegistration(values.file), values.file);
      }
      console.log(`${values.config} is valid.`);
      return 0;
    }
    if (values['generate-registration']) {
      if (!values.url) {
        console.error(
          '-r needs -u URL: where the homeserver reaches this bridge, e.g. -u http://localhost:9993',
        );
        return 2;
      }
      const config = await loadConfig(values.config);
      if (existsSync(values.file) && !values.force) {
        console.error(
          `${values.file} exists; pass --force to replace it (the homeserver must then load the new one).`,
        );
        return 2;
      }
      await writeRegistration(values.file, generateRegistration(config, values.url));
      console.log(
        `Wrote ${values.file}. Add it to app_service_config_files in the homeserver's configuration.`,
      );
      return 0;
    }
    return await run(values.config, values.file, start);
  } catch (err) {
    if (isExpected(err)) {
      console.error(err.message);
      return err instanceof ConfigError ? 2 : 1;
    }
    console.error(`Unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 1;
  }
}

async function run(configFile: string, registrationFile: string, start: StartFn): Promise<number> {
  const config = await loadConfig(configFile);
  const registration = await loadRegistration(registrationFile);
  assertRegistrationMatches(config, registration, registrationFile);
  configureLogging(config.logging);
  // Signals are handled from the start: one that arrives while starting stops the bridge as soon
  // as it is up, instead of killing it half-way through a migration.
  let signalled: ((signal: string) => void) | undefined;
  let pending: string | undefined;
  let second = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (pending !== undefined) {
      second = true;
      log.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    pending = signal;
    signalled?.(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const bridge = await start(config, registration);
  const signal = await new Promise<string>((resolve) => {
    if (pending !== undefined) resolve(pending);
    else signalled = resolve;
  });
  log.info({ signal }, 'shutting down');
  try {
    await bridge.stop();
    return second ? 1 : 0;
  } catch (err) {
    log.error(errorInfo(err), 'shutdown failed');
    return 1;
  }
}
