// The homeserver.yaml writer moved to dev/synapse/ (the dev stack uses it too).
export * from '../../dev/synapse/config.ts';
