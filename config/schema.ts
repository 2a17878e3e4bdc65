import { z } from 'zod';

/*
 * One schema for the whole configuration. Every key carries a description (and an example where
 * the default is not obvious): config.sample.yaml and the README's reference are generated from
 * these, and a test fails when the committed sample drifts from the schema.
 */

const port = z.number().int().min(1).max(65535);
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });

const homeserver = z
  .strictObject({
    url: httpUrl.meta({
      description: 'Client-server API URL the bridge uses to reach the homeserver.',
      examples: ['http://localhost:8008'],
    }),
    domain: z
      .string()
      .min(1)
      .regex(/^[a-zA-Z0-9.-]+(:\d+)?$/, 'must be a server name such as example.com')
      .meta({
        description: 'Server name of the homeserver: the part after the colon in user IDs.',
        examples: ['example.com'],
      }),
    startupTimeoutSeconds: z.number().int().min(0).default(30).meta({
      description:
        'How long start-up waits for the homeserver to answer before giving up (useful when both start together).',
    }),
    registrationSharedSecret: z.string().min(1).optional().meta({
      description:
        "Synapse's registration_shared_secret: lets invited agents create an account (with the password they choose) on the invitation page. Without it, the page only links an existing Matrix ID.",
    }),
  })
  .meta({ description: 'The Matrix homeserver this appservice is registered with.' });

const appservice = z
  .strictObject({
    id: z.string().min(1).default('livechat').meta({
      description: 'Appservice ID written into the registration; the homeserver uses it in ping requests.',
    }),
    port: port
      .default(9993)
      .meta({ description: 'Port for traffic from the homeserver, health checks and metrics.' }),
    bindAddress: z
      .string()
      .min(1)
      .default('127.0.0.1')
      .meta({ description: 'Address to listen on for the appservice port. Use 0.0.0.0 inside containers.' }),
  })
  .meta({ description: 'The listener the homeserver sends transactions to (the URL in the registration).' });

const database = z
  .strictObject({
    url: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// connection URL')
      .optional()
      .meta({
        description:
          'Postgres connection URL. Leave unset to run an embedded Postgres under embedded.dataDir (single machine, no server needed).',
        examples: ['postgres://livechat:secret@localhost:5432/livechat'],
      }),
    poolSize: z.number().int().min(1).max(200).default(10).meta({ description: 'Maximum open connections.' }),
    embedded: z
      .strictObject({
        dataDir: z
          .string()
          .min(1)
          .default('./data/postgres')
          .meta({ description: 'Directory for the embedded Postgres cluster; created on first start.' }),
        port: port.default(5433).meta({ description: 'Loopback port for the embedded Postgres.' }),
      })
      .prefault({})
      .meta({ description: 'Used only when url is unset.' }),
  })
  .prefault({})
  .meta({ description: 'Where conversations, messages and queues are stored.' });

const bot = z
  .strictObject({
    localpart: z
      .string()
      .regex(/^[a-z0-9._=/-]+$/, 'must be a valid Matrix localpart (lowercase letters, digits, ._=-/)')
      .default('livechat')
      .meta({ description: "Localpart of the bot's user ID (@livechat:example.com)." }),
    displayName: z
      .string()
      .min(1)
      .max(256)
      .default('Live chat')
      .meta({ description: 'Display name of the bot.' }),
    avatar: z
      .string()
      .regex(/^(mxc|https?):\/\//, 'must be an mxc:// or http(s):// URL')
      .optional()
      .meta({
        description: 'Avatar of the bot: an mxc:// URI, or an http(s) URL that is uploaded once at start-up.',
        examples: ['mxc://example.com/livechat-avatar'],
      }),
    commandPrefix: z.string().min(1).max(8).regex(/^\S+$/, 'must not contain spaces').default('!').meta({
      description:
        'Prefix of bot commands in rooms (change it where other bots share rooms). In a DM with the bot, bare words work too.',
    }),
    handoverKeywords: z.array(z.string().trim().min(1).max(100)).default(['agent', 'human']).meta({
      description:
        'Whole messages that ask for a person from any step of any campaign flow (case, accents and final punctuation ignored).',
    }),
    archiveAfterHours: z
      .number()
      .positive()
      .max(24 * 365)
      .default(24)
      .meta({
        description:
          'A conversation with the bot or resolved, without activity for this long, is archived: the next message opens a new room.',
      }),
    sweepIntervalSeconds: z.number().int().min(5).max(59).default(15).meta({
      description:
        'How often offer timeouts, queue waits and inactivity are checked (seconds; offer timeouts are this precise).',
    }),
  })
  .prefault({})
  .meta({ description: 'The bot user that creates rooms and answers commands.' });

const ghosts = z
  .strictObject({
    prefix: z
      .string()
      .regex(/^_[a-z0-9._=-]*_$/, 'must start and end with "_" and contain only a-z 0-9 . _ = -')
      .default('_livechat_')
      .meta({
        description:
          'Localpart prefix of the puppeted users that stand for customers. The registration claims it exclusively.',
      }),
  })
  .prefault({})
  .meta({ description: 'Puppeted (ghost) users, one per contact.' });

const provisioning = z
  .strictObject({
    port: port.default(9994).meta({
      description:
        'Port of the HTTP listener for the provisioning API, carrier webhooks and invitation pages.',
    }),
    bindAddress: z.string().min(1).default('127.0.0.1').meta({ description: 'Address for that listener.' }),
    token: z
      .string()
      .min(16, 'must be at least 16 characters')
      .meta({
        description: 'Bearer token for the provisioning API. Generate one with: openssl rand -hex 32',
        examples: ['change-me-to-a-long-random-string'],
      }),
  })
  .meta({ description: 'Provisioning API for the support team, carrier webhooks and the invitation pages.' });

const smtp = z
  .strictObject({
    host: z
      .string()
      .min(1)
      .meta({ description: 'SMTP server host.', examples: ['smtp.example.com'] }),
    port: port.default(587).meta({ description: 'SMTP server port.' }),
    secure: z.boolean().default(false).meta({
      description: 'Use implicit TLS (port 465). With false, STARTTLS is used when the server offers it.',
    }),
    user: z.string().optional().meta({ description: 'SMTP user name, if the server requires login.' }),
    password: z.string().optional().meta({ description: 'SMTP password.' }),
    from: z
      .string()
      .min(3)
      .meta({
        description: 'Sender of invitation and offline-form emails.',
        examples: ['Live chat <livechat@example.com>'],
      }),
  })
  .meta({
    description: 'Outgoing email (agent invitations, offline forms). Without it, invitations cannot be sent.',
  });

const invitations = z
  .strictObject({
    ttlHours: z
      .number()
      .positive()
      .max(24 * 90)
      .default(72)
      .meta({ description: 'How long an invitation link stays valid; resending starts a new period.' }),
    clientUrl: httpUrl.default('https://app.element.io/#/login').meta({
      description:
        'Where the invitation page sends a new agent once done. {userId} and {serverName} are replaced.',
      examples: ['https://chat.example.com/#/login'],
    }),
    minPasswordLength: z
      .number()
      .int()
      .min(8)
      .max(128)
      .default(10)
      .meta({ description: 'Shortest password accepted for a new account on the invitation page.' }),
    rateLimitPerMinute: z.number().int().min(1).default(10).meta({
      description: 'Form submissions on invitation pages accepted per client IP address and minute.',
    }),
  })
  .prefault({})
  .meta({ description: 'Email invitations of agents and admins to a space (needs smtp).' });

const providers = z
  .strictObject({
    timeoutSeconds: z.number().min(1).max(120).default(15).meta({
      description: 'How long one request to a provider may take before it counts as failed (and is retried).',
    }),
    twilio: z
      .strictObject({
        baseUrl: httpUrl.default('https://api.twilio.com').meta({
          description: 'Twilio REST API base URL (change only to point at a test double).',
        }),
      })
      .prefault({})
      .meta({ description: 'Twilio Programmable Messaging (SMS and WhatsApp). Credentials are per sender.' }),
    whatsappCloud: z
      .strictObject({
        baseUrl: httpUrl.default('https://graph.facebook.com').meta({
          description: 'Meta Graph API base URL (change only to point at a test double).',
        }),
        apiVersion: z
          .string()
          .regex(/^v\d+\.\d+$/, 'must look like v21.0')
          .default('v21.0')
          .meta({ description: 'Graph API version used in request paths.' }),
      })
      .prefault({})
      .meta({ description: 'Meta WhatsApp Business Cloud API. Credentials are per sender.' }),
    simulator: z
      .strictObject({
        baseUrl: httpUrl.default('http://127.0.0.1:9995').meta({
          description:
            'Where the phone simulator (npm run dev) receives what the bridge sends to its phones.',
        }),
      })
      .prefault({})
      .meta({ description: 'The local phone simulator, for development and demos.' }),
  })
  .prefault({})
  .meta({ description: 'How senders reach the carriers.' });

const logging = z
  .strictObject({
    level: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info')
      .meta({ description: 'Minimum level to log.' }),
    format: z
      .enum(['json', 'pretty'])
      .default('json')
      .meta({ description: 'json for production log shippers, pretty for a terminal.' }),
  })
  .prefault({})
  .meta({ description: 'Logs go to standard output.' });

const metrics = z
  .strictObject({
    enabled: z.boolean().default(true).meta({
      description: 'Serve Prometheus metrics (prefix livechat_) at /metrics on the appservice listener.',
    }),
  })
  .prefault({})
  .meta({ description: 'Prometheus metrics.' });

export const configSchema = z
  .strictObject({
    homeserver,
    appservice: appservice.prefault({}),
    publicUrl: httpUrl.meta({
      description:
        'Public base URL of the provisioning listener, as carriers and browsers reach it (webhook URLs and invitation links are built from it).',
      examples: ['https://livechat.example.com'],
    }),
    database,
    bot,
    ghosts,
    provisioning,
    providers,
    smtp: smtp.optional(),
    invitations,
    logging,
    metrics,
  })
  .meta({ description: 'matrix-appservice-livechat configuration' });

/** The configuration as written in the file (defaults optional). */
export type ConfigInput = z.input<typeof configSchema>;
/** The configuration after validation, with every default filled in. */
export type Config = z.output<typeof configSchema>;
