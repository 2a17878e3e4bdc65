import { readFile, writeFile } from 'node:fs/promises';
import { generateReference, generateSample } from './sample.ts';

// Regenerates config/config.sample.yaml and the README's configuration reference from the schema.
const samplePath = new URL('./config.sample.yaml', import.meta.url);
await writeFile(samplePath, generateSample());
console.log('wrote config/config.sample.yaml');

const readmePath = new URL('../README.md', import.meta.url);
const readme = await readFile(readmePath, 'utf8').catch(() => undefined);
const begin = '<!-- config-reference:begin -->';
const end = '<!-- config-reference:end -->';
if (readme?.includes(begin) && readme.includes(end)) {
  const updated = readme.replace(
    new RegExp(`${begin}[\\s\\S]*${end}`),
    `${begin}\n${generateReference()}\n${end}`,
  );
  await writeFile(readmePath, updated);
  console.log('updated the configuration reference in README.md');
}
