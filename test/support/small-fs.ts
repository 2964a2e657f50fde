/**
 * A real, small filesystem for full-disk tests: a size-limited tmpfs mounted on a scratch folder
 * (needs root, as on the build machines and in CI). Filling it leaves the kernel's own ENOSPC,
 * short writes included, for the code under test to meet. Where mounting is impossible the test
 * skips with the reason, except in CI, where that is a failure.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { skipUnlessCi } from './ci.js';
import { scratchDir } from './paths.js';

export interface SmallFs {
  dir: string;
  /** Bytes free now. */
  free(): number;
  /** Fill with a filler file until only `leaveBytes` are free (about: tmpfs counts whole pages). */
  fill(leaveBytes: number): void;
  /** Remove the filler. */
  unfill(): void;
  unmount(): void;
}

/** Mounts a tmpfs of `bytes`; null (after skipping `t`) where that cannot be done. */
export function mountSmallFs(t: TestContext, bytes: number): SmallFs | null {
  const dir = scratchDir('auscult-smallfs-');
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0700`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    skipUnlessCi(
      t,
      `cannot mount a small tmpfs for the full-disk test (${(r.stderr || r.error?.message || '').trim() || 'mount failed'}); run as root`,
    );
    return null;
  }
  const filler = join(dir, '.filler');
  const fs: SmallFs = {
    dir,
    free: () => {
      const s = statfsSync(dir);
      return s.bavail * s.bsize;
    },
    fill(leaveBytes) {
      const fd = openSync(filler, 'a');
      try {
        const block = Buffer.alloc(64 * 1024, 1);
        while (fs.free() > leaveBytes) {
          const n = Math.min(block.length, fs.free() - leaveBytes);
          try {
            writeSync(fd, block, 0, Math.max(4096, n));
          } catch {
            break;
          }
        }
      } finally {
        closeSync(fd);
      }
    },
    unfill: () => rmSync(filler, { force: true }),
    unmount: () => {
      spawnSync('umount', ['-l', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  t.after(() => fs.unmount());
  return fs;
}
