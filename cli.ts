#!/usr/bin/env node
// The package's bin: the CLI logic lives in bridge/, the composition of all layers in index.ts.

// A dependency of the Matrix SDK uses a deprecated Node API at import time; that warning says
// nothing to an operator. Other warnings still print.
process.removeAllListeners('warning');
process.on('warning', (warning: Error & { code?: string }) => {
  if (warning.code !== 'DEP0060') process.stderr.write(`${warning.name}: ${warning.message}\n`);
});

const { runCli } = await import('./bridge/cli.ts');
const { start } = await import('./index.ts');
const code = await runCli(process.argv.slice(2), start);
process.exit(code);
