// The compiled package reads SQL migrations and page templates relative to its modules: copy them
// next to the compiled JavaScript in dist/.
import { cpSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const ASSETS = /\.(sql|html|css|svg|png|yaml)$/;
const roots = ['bridge', 'bot', 'provisioning', 'config'];

function copy(dir) {
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) copy(file);
    else if (ASSETS.test(name)) cpSync(file, path.join('dist', file));
  }
}
for (const root of roots) copy(root);
