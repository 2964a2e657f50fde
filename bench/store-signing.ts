/**
 * The signed audit log's cost (issue 14), beside today's unsigned log in the same run: appending
 * entries (each signed with Ed25519, a signed checkpoint written after every commit) in batches
 * and one per commit, and verifying the signed log (every signature, or sampled).
 *   npm run bench -- store            (runs with the store bench)
 * BENCH_SIGNING_ENTRIES shrinks it for a quick look.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../src/store/index.js';

export const title = 'store: signed audit appends and verification, beside unsigned';

/** Wall seconds and CPU seconds (the machine is shared: CPU time shows the work itself). */
function fill(store: Store, n: number, perTx: number, read = false): { sec: number; cpu: number } {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let b = 0; b < n; b += perTx) {
    (read ? store.readTx.bind(store) : store.tx.bind(store))(() => {
      for (let i = b; i < Math.min(n, b + perTx); i++)
        store.audit.append({
          username: `user${i % 40}`,
          action: i % 3 ? 'recording.view' : 'recording.create',
          objectType: 'recording',
          objectId: i,
          transport: 'ipc',
          details: { patientId: i % 1000, peer: 'window:1', results: i % 17 },
        });
    });
  }
  const c = process.cpuUsage(c0);
  return { sec: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
}

export async function run(): Promise<void> {
  const n = Number(process.env['BENCH_SIGNING_ENTRIES'] ?? 100_000);
  const single = Math.min(500, n);
  const dir = mkdtempSync(join(tmpdir(), 'auscult-bench-signing-'));
  try {
    for (const [label, synchronous] of [
      ['synchronous=NORMAL (CPU cost)', 'NORMAL'],
      ['synchronous=FULL (as shipped: one fsync per commit)', 'FULL'],
    ] as const) {
      console.log(`   ${label}:`);
      for (const perTx of [1000, 1]) {
        const count = perTx === 1 ? single : n;
        const rates: string[] = [];
        for (const signed of [false, true]) {
          const sub = join(dir, `${synchronous}-${perTx}-${signed ? 's' : 'u'}`);
          const store = Store.open(join(sub, 'auscult.sqlite'), {
            synchronous,
            ...(signed ? { signing: { dir: join(sub, 'signing') } } : {}),
          });
          const { sec, cpu } = fill(store, count, perTx);
          store.close();
          rates.push(
            `${signed ? 'signed' : 'unsigned (today)'} ${Math.round(count / sec).toLocaleString('en')} entries/s (${Math.round(count / cpu).toLocaleString('en')} per CPU-second)`,
          );
        }
        console.log(`     ${count.toLocaleString('en')} entries, ${perTx} per commit: ${rates.join('; ')}`);
      }
    }
    // The read path as shipped: one audit entry per readTx (a search, a view), the commit without
    // its own fsync. Signed and unsigned interleaved in rounds, best of each, so load shifts on this
    // shared machine fall on both alike.
    {
      const count = Math.min(3000, n);
      const best = { u: Infinity, s: Infinity, uc: Infinity, sc: Infinity };
      for (let round = 0; round < 3; round++)
        for (const signed of [false, true]) {
          const sub = join(dir, `read-${round}-${signed ? 's' : 'u'}`);
          const store = Store.open(
            join(sub, 'auscult.sqlite'),
            signed ? { signing: { dir: join(sub, 'signing') } } : {},
          );
          const { sec, cpu } = fill(store, count, 1, true);
          store.close();
          const k = signed ? 's' : 'u';
          best[k] = Math.min(best[k], sec);
          best[`${k}c`] = Math.min(best[`${k}c`], cpu);
        }
      const rate = (sec: number) => Math.round(count / sec).toLocaleString('en');
      console.log(
        `   read entries (readTx, 1 per commit, best of 3 rounds of ${count.toLocaleString('en')}): unsigned ${rate(best.u)}/s (${rate(best.uc)} per CPU-second); signed ${rate(best.s)}/s (${rate(best.sc)} per CPU-second) = ${Math.round((100 * best.u) / best.s)} % of the unsigned rate (${Math.round((100 * best.uc) / best.sc)} % per CPU-second)`,
      );
    }
    const sub = join(dir, `NORMAL-1000-s`);
    const store = Store.open(join(sub, 'auscult.sqlite'), { readonly: true, signing: { dir: join(sub, 'signing') } });
    for (const mode of ['sample', 'all'] as const) {
      const t0 = performance.now();
      const r = store.verifyAudit({ signatures: mode });
      const sec = (performance.now() - t0) / 1000;
      console.log(
        `   verify ${r.entries.toLocaleString('en')} signed entries (signatures: ${mode}, ${r.signaturesChecked} checked, checkpoints ${r.checkpoint ? 'held' : 'MISSING'}): ${r.ok ? 'OK' : 'FAILED'} in ${sec.toFixed(2)} s = ${Math.round(r.entries / sec).toLocaleString('en')} entries/s`,
      );
    }
    const t0 = performance.now();
    const h = store.audit.verify();
    console.log(
      `   hash chain only (today's verify): ${h.entries.toLocaleString('en')} entries in ${((performance.now() - t0) / 1000).toFixed(2)} s`,
    );
    store.close();
    const log = statSync(join(sub, 'signing')).isDirectory()
      ? (await import('node:fs')).readdirSync(join(sub, 'signing')).find((f) => f.startsWith('checkpoints-'))
      : undefined;
    if (log)
      console.log(
        `   checkpoint log after ${Math.ceil(n / 1000)} commits: ${(statSync(join(sub, 'signing', log)).size / 1024).toFixed(0)} KiB (~${Math.round(statSync(join(sub, 'signing', log)).size / Math.ceil(n / 1000))} bytes per commit)`,
      );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
