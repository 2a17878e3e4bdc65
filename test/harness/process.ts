// The process helpers moved to dev/ (the dev stack uses them too); tests keep importing them here.
export * from '../../dev/process.ts';
