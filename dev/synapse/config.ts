import { stringify } from 'yaml';

/*
 * homeserver.yaml for tests and the dev stack. Every rate limiter Synapse 1.163 reads
 * (synapse/config/ratelimiting.py) is set huge: tests send bursts of messages, joins and invites
 * that a real server would throttle, and a 429 in the middle of an e2e test is a flake, not a
 * finding. Unknown keys are ignored by Synapse, so the list may safely contain keys older or newer
 * versions do not know. Registration is closed: accounts are made with the shared secret only.
 */

const unlimited = { per_second: 100_000, burst_count: 1_000_000 };

export const RATE_LIMITS: Record<string, unknown> = {
  rc_message: unlimited,
  rc_registration: unlimited,
  rc_registration_token_validity: unlimited,
  rc_login: { address: unlimited, account: unlimited, failed_attempts: unlimited },
  rc_joins: { local: unlimited, remote: unlimited },
  rc_joins_per_room: unlimited,
  rc_invites: { per_room: unlimited, per_user: unlimited, per_issuer: unlimited },
  rc_admin_redaction: unlimited,
  rc_3pid_validation: unlimited,
  rc_third_party_invite: unlimited,
  rc_media_create: unlimited,
  rc_key_requests: unlimited,
  rc_presence: { per_user: unlimited },
  rc_delayed_event_mgmt: unlimited,
  rc_room_creation: unlimited,
  rc_reports: unlimited,
  rc_user_directory: unlimited,
  rc_profile: unlimited,
  rc_federation: {
    window_size: 1000,
    sleep_limit: 100_000,
    sleep_delay: 0,
    reject_limit: 1_000_000,
    concurrent: 1000,
  },
};

export interface HomeserverConfigOptions {
  dir: string;
  port: number;
  serverName: string;
  sharedSecret: string;
  registrationFiles: string[];
  /** Where clients reach it (default http://127.0.0.1:<port>/). */
  publicBaseUrl?: string;
  /** Default ['127.0.0.1']: loopback only. */
  bindAddresses?: string[];
  /** Synapse's `database` section; SQLite in `dir` when absent (the benchmark uses Postgres). */
  database?: Record<string, unknown>;
}

export function homeserverYaml(o: HomeserverConfigOptions): string {
  const config = {
    server_name: o.serverName,
    public_baseurl: o.publicBaseUrl ?? `http://127.0.0.1:${o.port}/`,
    pid_file: `${o.dir}/homeserver.pid`,
    listeners: [
      {
        port: o.port,
        bind_addresses: o.bindAddresses ?? ['127.0.0.1'],
        type: 'http',
        tls: false,
        x_forwarded: false,
        resources: [{ names: ['client'], compress: false }],
      },
    ],
    database: o.database ?? { name: 'sqlite3', args: { database: `${o.dir}/homeserver.db` } },
    log_config: `${o.dir}/log.config.yaml`,
    media_store_path: `${o.dir}/media`,
    max_upload_size: '50M',
    signing_key_path: `${o.dir}/signing.key`,
    registration_shared_secret: o.sharedSecret,
    enable_registration: false,
    // Password hashing at the default 12 rounds costs ~0.3 s per registration or login on a small CI box.
    bcrypt_rounds: 4,
    report_stats: false,
    enable_metrics: false,
    trusted_key_servers: [],
    suppress_key_server_warning: true,
    presence: { enabled: false },
    url_preview_enabled: false,
    app_service_config_files: o.registrationFiles,
    ...RATE_LIMITS,
  };
  return stringify(config, { lineWidth: 0 });
}

// Synapse adds its LoggingContextFilter (which provides %(request)s) to every handler by itself.
export function logConfigYaml(logFile: string, level: string): string {
  return stringify({
    version: 1,
    formatters: {
      precise: { format: '%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(request)s - %(message)s' },
    },
    handlers: {
      file: {
        class: 'logging.FileHandler',
        formatter: 'precise',
        filename: logFile,
        encoding: 'utf8',
      },
    },
    root: { level, handlers: ['file'] },
    // With dozens of appservices, Synapse 1.163 logs an ERROR per event for cache metrics that share
    // a name across appservices: harmless (metrics are off) and it buries the lines that matter.
    loggers: { 'synapse.util.metrics': { level: 'CRITICAL' } },
    disable_existing_loggers: false,
  });
}
