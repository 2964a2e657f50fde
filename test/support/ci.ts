/**
 * Whether the suite runs in CI: `.ci/run` exports AUSCULT_CI=1, and CI systems set CI. There a
 * missing capture device or service is a failure, not a skip: a capture regression must not
 * show up as a skipped test.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';

const ci = (process.env['CI'] ?? '').toLowerCase();
export const IN_CI = process.env['AUSCULT_CI'] === '1' || (ci !== '' && ci !== 'false' && ci !== '0');

/** Skips with the reason on a developer's machine; fails in CI. */
export function skipUnlessCi(t: TestContext, reason: string): void {
  if (IN_CI) assert.fail(`${reason} (this runs in CI, where a missing device or service is a failure)`);
  t.skip(reason);
}
