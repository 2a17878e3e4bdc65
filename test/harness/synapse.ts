import {
  startSynapse as startDevSynapse,
  type SynapseInstance,
  type StartSynapseOptions,
} from '../../dev/synapse/synapse.ts';
import { dockerSynapse } from './synapse-docker.ts';

/*
 * Synapse for the tests: the dev stack's (dev/synapse/), run from the cached venv, or from the
 * matrixdotorg/synapse image when LIVECHAT_TEST_DOCKER=1.
 */

export { ensureSynapse, registerUser } from '../../dev/synapse/synapse.ts';
export type {
  HomeserverInfo,
  RegisteredUser,
  RegisterUserOptions,
  StartSynapseOptions,
  SynapseInstance,
} from '../../dev/synapse/synapse.ts';

export function startSynapse(options: StartSynapseOptions): Promise<SynapseInstance> {
  const docker = process.env.LIVECHAT_TEST_DOCKER === '1';
  return startDevSynapse(docker && !options.runner ? { ...options, runner: dockerSynapse } : options);
}
