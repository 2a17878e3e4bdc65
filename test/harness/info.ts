import type { PostgresInfo } from './postgres.ts';
import type { Slot } from './slots.ts';
import type { HomeserverInfo } from './synapse.ts';

/** What the global setup started, as test files see it through `inject('livechatHarness')`. */
export interface HarnessInfo {
  /** Random id of this run (8 hex digits); name databases after it, they are dropped by it. */
  runId: string;
  /** Temporary directory of the run: logs, registrations, slot claims. */
  runDir: string;
  homeserver: HomeserverInfo & {
    /** True when HOMESERVER_URL pointed at a homeserver this run did not start. */
    external: boolean;
    logFile?: string;
  };
  postgres: PostgresInfo;
  slots: Slot[];
}

declare module 'vitest' {
  export interface ProvidedContext {
    livechatHarness: HarnessInfo;
  }
}
