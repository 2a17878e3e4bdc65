import type { Router } from 'express';
import type { Config } from '../../config/schema.ts';
import type { Clock } from '../context.ts';
import { createInboxWorker } from '../inbox/worker.ts';
import { logger } from '../log.ts';
import type { EventRouter } from '../matrix/events.ts';
import type { MatrixGateway } from '../matrix/gateway.ts';
import type { Metrics } from '../metrics.ts';
import { createOutboundHandler } from '../outbox/from-matrix.ts';
import { createMediaRoutes } from '../outbox/media-route.ts';
import { createReceiptHandler } from '../outbox/receipts.ts';
import { createStatusWorker } from '../outbox/statuses.ts';
import { createOutboxWorker } from '../outbox/worker.ts';
import { Portal } from '../portal/portal.ts';
import type { ProviderRegistry } from '../providers/index.ts';
import type { InboundItem, InboundMessage, SenderInfo, StatusUpdate } from '../providers/types.ts';
import { getConversation } from '../store/conversations.ts';
import type { Database } from '../store/db.ts';
import { insertInbound, insertStatuses } from '../store/inbox.ts';
import { createMediaLink, enqueueOutbound } from '../store/outbox.ts';
import { getSender, type Sender } from '../store/senders.ts';
import type { CustomerMessage, InboundHandler, SendToCustomerOptions } from './types.ts';

const log = logger('bridge.messaging');

export type { CustomerMessage, InboundEvent, InboundHandler, SendToCustomerOptions } from './types.ts';

export interface MessagingDeps {
  config: Config;
  db: Database;
  matrix: MatrixGateway;
  events: EventRouter;
  metrics: Metrics;
  providers: ProviderRegistry;
  clock: Clock;
  /** Told of errors that delay customers' messages (an unreachable homeserver). */
  onHomeserverError?(error: unknown): void;
}

export interface AcceptResult {
  /** New inbound messages (duplicates of stored ones are not counted). */
  messages: number;
  statuses: number;
}

/**
 * Every message between customers' phones and Matrix rooms, both ways. The layers above use:
 * - accept(sender, items): what a verified carrier webhook carried, committed before it is
 *   acknowledged (the webhook router calls it, then answers the carrier);
 * - lookupSender(id): the sender a webhook path names;
 * - onInbound(handler): each customer message, in order, after the ghost posted it (the bot's flows);
 * - sendToCustomer(conversation, message, {cause}): a message from the bot, delivered like an
 *   agent's and shown in the room;
 * - publicRoutes: routes for the public listener (media links providers fetch).
 */
export class MessagingService {
  readonly portal: Portal;
  readonly publicRoutes: Router;
  private readonly deps: MessagingDeps;
  private readonly handlers: InboundHandler[] = [];
  private readonly inbox: ReturnType<typeof createInboxWorker>;
  private readonly outbox: ReturnType<typeof createOutboxWorker>;
  private readonly statuses: ReturnType<typeof createStatusWorker>;
  private readonly accepted: (channel: string, outcome: 'accepted' | 'duplicate', n: number) => void;

  constructor(deps: MessagingDeps) {
    this.deps = deps;
    const { config, db, matrix, providers, metrics, clock } = deps;
    this.portal = new Portal({ db, matrix });
    const messages = metrics.counter('messages_total', 'Messages between customers and rooms', [
      'direction',
      'channel',
      'outcome',
    ]);
    const providerErrors = metrics.counter('provider_errors_total', 'Failed provider requests', [
      'provider',
      'code',
    ]);
    const depth = (table: string) =>
      async function (this: { set(value: number): void }) {
        const result = await db.query<{ n: string }>(
          `SELECT count(*) AS n FROM ${table} WHERE state = 'pending'`,
        );
        this.set(Number(result.rows[0]?.n ?? 0));
      };
    metrics.gauge('inbox_depth', 'Inbound messages waiting to be posted in Matrix', [], depth('inbox'));
    metrics.gauge('outbox_depth', 'Outbound messages waiting to be sent to customers', [], depth('outbox'));
    this.accepted = (channel, outcome, n) => messages.inc({ direction: 'in', channel, outcome }, n);

    this.inbox = createInboxWorker({
      config,
      db,
      matrix,
      providers,
      portal: this.portal,
      handlers: this.handlers,
      sendToCustomer: (id, message, options) => this.sendToCustomer(id, message, options),
      onPosted: (channel) => messages.inc({ direction: 'in', channel, outcome: 'posted' }),
      onFailed: () => messages.inc({ direction: 'in', channel: 'unknown', outcome: 'failed' }),
      ...(deps.onHomeserverError ? { onRetry: deps.onHomeserverError } : {}),
    });
    this.outbox = createOutboxWorker({
      config,
      db,
      matrix,
      providers,
      clock,
      onSent: (channel) => messages.inc({ direction: 'out', channel, outcome: 'sent' }),
      onFailed: (channel, outcome) => messages.inc({ direction: 'out', channel, outcome }),
      onProviderError: (provider, code) => providerErrors.inc({ provider, code }),
    });
    this.statuses = createStatusWorker({ config, db, matrix, providers });
    this.publicRoutes = createMediaRoutes({ db, matrix });
    deps.events.on(
      'bridge.outbound',
      createOutboundHandler({
        db,
        matrix,
        commandPrefix: config.bot.commandPrefix,
        wake: () => this.outbox.wake(),
      }),
    );
    deps.events.onEphemeral('bridge.receipts', createReceiptHandler({ db, matrix, providers }));
  }

  /**
   * Commits what a verified webhook carried, in one transaction: messages (a provider message ID
   * already stored is ignored) and delivery statuses (a repeated (message, status) likewise). Only
   * once this resolves may the carrier be answered with success; if it throws, answer 5xx so the
   * carrier retries.
   */
  async accept(sender: SenderInfo & { provider?: string }, items: InboundItem[]): Promise<AcceptResult> {
    const messages = items.filter((i): i is InboundMessage => i.kind === 'message');
    const statuses = items.filter((i): i is StatusUpdate => i.kind === 'status');
    const { db } = this.deps;
    // The usual webhook (the sender looked up with its provider, one kind of item) is one statement:
    // atomic without a transaction, one round trip before the carrier gets its answer.
    const single =
      sender.provider !== undefined && (messages.length === 0 || statuses.length === 0)
        ? {
            messages: await insertInbound(db, sender.provider, sender.id, messages),
            statuses: await insertStatuses(db, sender.provider, statuses),
          }
        : undefined;
    const result =
      single ??
      (await db.tx(async (client) => {
        const row = await client.query<{ provider: string }>('SELECT provider FROM senders WHERE id = $1', [
          sender.id,
        ]);
        const provider = row.rows[0]?.provider;
        if (!provider) throw new Error(`sender ${sender.id} does not exist`);
        return {
          messages: await insertInbound(client, provider, sender.id, messages),
          statuses: await insertStatuses(client, provider, statuses),
        };
      }));
    if (messages.length > 0) {
      this.accepted(sender.channel, 'accepted', result.messages);
      if (messages.length > result.messages)
        this.accepted(sender.channel, 'duplicate', messages.length - result.messages);
    }
    if (result.messages > 0) this.inbox.wake();
    if (result.statuses > 0) this.statuses.wake();
    log.debug({ senderId: sender.id, ...result, items: items.length }, 'accepted webhook items');
    return result;
  }

  /** The sender a webhook names (with its provider), or undefined: answer 404 then. */
  lookupSender(senderId: string): Promise<Sender | undefined> {
    return getSender(this.deps.db, senderId);
  }

  /** Registers a handler for customers' messages (see InboundHandler). Call before start. */
  onInbound(handler: InboundHandler): void {
    this.handlers.push(handler);
  }

  /**
   * Queues a message from the bot to the conversation's customer. The same cause again does
   * nothing (returns the same row), so callers can derive the cause from what triggered them and
   * call again after a crash. Delivery, refusals and failures work as for agents' messages.
   */
  async sendToCustomer(
    conversationId: string,
    message: CustomerMessage,
    options: SendToCustomerOptions,
  ): Promise<{ outboxId: string; created: boolean }> {
    const conversation = await getConversation(this.deps.db, conversationId);
    if (!conversation?.roomId) throw new Error(`conversation ${conversationId} has no room yet`);
    const roomId = conversation.roomId;
    const result = await this.deps.db.tx(async (client) => {
      const media = message.media ? await createMediaLink(client, message.media) : undefined;
      return enqueueOutbound(client, {
        conversationId,
        roomId,
        cause: options.cause,
        author: options.author ?? this.deps.matrix.botUserId,
        content: {
          ...(message.text !== undefined ? { text: message.text } : {}),
          ...(media ? { media } : {}),
          ...(message.interactive ? { interactive: message.interactive } : {}),
          ...(message.template ? { template: message.template } : {}),
        },
        ...(options.bypassOptOut ? { bypassOptOut: true } : {}),
      });
    });
    if (result.created) this.outbox.wake();
    return { outboxId: result.id, created: result.created };
  }

  /** The tenant's Matrix space, created on first need (the provisioning layer may call it early). */
  ensureSpaceRoom(spaceId: string): Promise<string> {
    return this.portal.ensureSpaceRoom(spaceId);
  }

  /** Customers' messages that waited for the homeserver are posted now (it answers again). */
  retryInbound(): Promise<void> {
    return this.inbox.retryNow();
  }

  start(): void {
    this.inbox.start();
    this.outbox.start();
    this.statuses.start();
  }

  async stop(): Promise<void> {
    await Promise.all([this.inbox.stop(), this.outbox.stop(), this.statuses.stop()]);
  }
}
