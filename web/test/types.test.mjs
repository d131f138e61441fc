// `tsc --noEmit` on consumer files (test/types/: ESM .mts and CommonJS .cts, with
// @ts-expect-error lines for what must not type-check) in the consumer project, against the
// packed package's declarations and the AWS SDK's credential providers.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { consumer } from './pkg.mjs';

function tsc(project) {
  const bin = join(consumer, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    const out = execFileSync(process.execPath, [bin, '--noEmit', '-p', join(consumer, 'types', project)], { encoding: 'utf8' });
    assert.equal(out.trim(), '');
  } catch (e) {
    assert.fail(`tsc -p ${project} failed:\n${e.stdout}${e.stderr}`);
  }
}

test('tsc --noEmit: Node consumer (.mts and .cts) with the AWS SDK credential providers', { timeout: 120_000 }, () => {
  tsc('tsconfig.json');
});
test('tsc --noEmit: browser consumer (no Node types, no SDK), declarations checked too', { timeout: 120_000 }, () => {
  tsc('tsconfig.browser.json');
});
