import type { Config } from '../../config/schema.ts';
import { createSimulatorProvider } from './simulator/provider.ts';
import { createTwilioProvider } from './twilio/provider.ts';
import type { Provider } from './types.ts';
import { createWhatsAppCloudProvider } from './whatsapp-cloud/provider.ts';

export class UnknownProviderError extends Error {
  constructor(name: string, known: string[]) {
    super(`unknown provider "${name}"; one of ${known.join(', ')}`);
    this.name = 'UnknownProviderError';
  }
}

/** The providers this bridge can use, by name. */
export class ProviderRegistry {
  private readonly byName = new Map<string, Provider>();

  constructor(providers: Provider[]) {
    for (const provider of providers) this.byName.set(provider.name, provider);
  }

  get(name: string): Provider {
    const provider = this.byName.get(name);
    if (!provider) throw new UnknownProviderError(name, this.names());
    return provider;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }
}

/** Every provider, configured. Adding a provider: a folder under bridge/providers/ and a line here. */
export function createProviderRegistry(config: Config, extra: Provider[] = []): ProviderRegistry {
  const timeoutMs = config.providers.timeoutSeconds * 1000;
  return new ProviderRegistry([
    createTwilioProvider({ ...config.providers.twilio, timeoutMs }),
    createWhatsAppCloudProvider({ ...config.providers.whatsappCloud, timeoutMs }),
    createSimulatorProvider({ ...config.providers.simulator, timeoutMs }),
    ...extra,
  ]);
}
