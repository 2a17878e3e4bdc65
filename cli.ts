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

// The dev stack (dev/) runs from a source checkout with the development dependencies; the
// published package leaves it out. The specifier is a variable so that the package build does
// not compile dev/ into dist/.
const devEntry = './dev/cli.ts';
async function dev(argv: string[]): Promise<number> {
  let module: { runDev(argv: string[]): Promise<number> };
  try {
    module = (await import(devEntry)) as typeof module;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    console.error(
      'livechat-bridge dev runs from a source checkout: git clone the repository, then npm run dev.',
    );
    return 2;
  }
  return module.runDev(argv);
}

const code = await runCli(process.argv.slice(2), start, dev);
process.exit(code);
