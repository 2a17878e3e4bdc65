// The Synapse installer moved to dev/synapse/ (the dev stack uses it too).
export * from '../../dev/synapse/install.ts';
