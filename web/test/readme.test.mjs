// Every ```js test block of web/README.md runs, as a CommonJS script inside the consumer project
// (so `require('dbtoken')` is the packed package), and must exit 0.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { consumer } from './pkg.mjs';

const readme = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```js test\n([\s\S]*?)```/g)].map((m) => m[1]);

test('README has runnable examples', () => assert.ok(blocks.length >= 3));
blocks.forEach((code, i) => {
  test(`README example ${i + 1}`, () => {
    const file = join(consumer, `readme-${i + 1}.cjs`);
    writeFileSync(file, code);
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
    const r = spawnSync(process.execPath, [file], { cwd: consumer, env, encoding: 'utf8' });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  });
});
