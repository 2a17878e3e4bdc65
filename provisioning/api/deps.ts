import type { Clock } from '../../bridge/context.ts';
import type { MatrixGateway } from '../../bridge/matrix/gateway.ts';
import type { MessagingService } from '../../bridge/messaging/service.ts';
import type { ProviderRegistry } from '../../bridge/providers/index.ts';
import type { Database } from '../../bridge/store/db.ts';
import type { Config } from '../../config/schema.ts';

/** What the API's handlers work with. */
export interface ApiDeps {
  config: Config;
  db: Database;
  matrix: MatrixGateway;
  providers: ProviderRegistry;
  clock: Clock;
  /** The message pipeline: webhooks hand it what carriers send; it serves agents' media to carriers. */
  messaging: MessagingService;
  /** Wakes the invitation email queue after rows commit. */
  wakeEmails(): void;
  /** Wakes the bot's effects worker after effects were queued (contact cards). */
  wakeEffects(): void;
}
