import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const BOOTSTRAP = new URL('../../scripts/bootstrap.mjs', import.meta.url).pathname;

/** `npm run demo`, as a user runs it: the whole example on a fresh stack, headless. */
describe('npm run demo', () => {
  it('plays every step of the example and prints what each side saw', async () => {
    const run = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [BOOTSTRAP, 'demo'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`the demo did not finish in time:\n${out}`));
      }, 170_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, out });
      });
    });
    expect(run.code, run.out).toBe(0);
    expect(run.out).toContain('The demo played every step.');
    expect(run.out).not.toContain('✗');
    expect(run.out.match(/^ {2}✓ /gm)).toHaveLength(8);
    const phone = run.out.slice(run.out.indexOf('What the customer saw on the phone:'));
    for (const line of [
      'customer →  Help Package',
      '← business  Hi! How can we help you with your package?',
      '← business  You are being transferred to an agent.',
      '← business  You are now chatting with Alice Agent.',
      '← business  Hi Maria, I am Alice.',
      '← business  This conversation has been resolved.',
    ]) {
      expect(phone).toContain(line);
    }
    expect(run.out).toMatch(/Maria \(customer\): Thank you! Order 12345\./);
  }, 180_000);
});
