/**
 * Re-analysis of a whole history (issue 18) on a real SQLite file with real KAUH recordings and the
 * real engine on two worker threads: signed recordings are left exactly as signed, every other one
 * gets one analysis by the installed models, a second run analyses nothing, a stopped run is
 * continued by the next without analysing anything twice, a damaged WAV is reported and keeps its
 * previous state, and the audit log holds one entry per committed batch plus one per run.
 */
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENGINE_VERSION } from '../../src/inference/engine.js';
import { reanalyzeHistory, type HistoryReanalysisOptions } from '../../src/service/reanalysis/history.js';
import { auditLocal } from '../../src/service/local-admin.js';
import { KAUH_DIR, PROJECT_ROOT, kauhMissing, scratchDir } from '../support/paths.js';
import { yamnetModelsDir, yamnetUnavailable } from '../inference/yamnet-fixture.js';
import {
  ENGINES,
  openEngineFixture,
  openFixture,
  PASSWORD,
  stopTestClusters,
  type Engine,
  type Fixture,
} from './helpers.js';

after(stopTestClusters);

const skip = yamnetUnavailable() || kauhMissing();

/** A few short real recordings (4 kHz KAUH files), imported without analysis (no engine in the service). */
async function historyOf(
  n: number,
  engine: Engine = 'sqlite',
  t?: TestContext,
): Promise<{ fx: Fixture; ids: number[] } | null> {
  const opened = t ? await openEngineFixture(engine, t) : await openFixture();
  if (!opened) return null;
  const fx: Fixture = opened;
  const patient = await fx.ws.call(fx.as.nurse, 'patients.create', { mrn: 'H-1', givenName: 'Ann', familyName: 'Lee' });
  const files = readdirSync(join(KAUH_DIR, 'audio'))
    .filter((f) => f.endsWith('.wav'))
    .sort()
    .slice(0, n);
  const ids: number[] = [];
  for (const f of files) {
    const d = await fx.ws.call(fx.as.nurse, 'recordings.import', {
      patientId: patient.id,
      site: 'trachea',
      fileName: 'k.wav',
      wavBase64: readFileSync(join(KAUH_DIR, 'audio', f)).toString('base64'),
    });
    assert.equal(d.analysis, null);
    ids.push(d.recording.id);
  }
  return { fx, ids };
}

async function options(fx: Fixture, more: Partial<HistoryReanalysisOptions> = {}): Promise<HistoryReanalysisOptions> {
  const deps = fx.ws.internals;
  return {
    store: deps.store,
    recordingsDir: deps.recordingsDir,
    atRest: deps.atRest,
    modelsDir: await yamnetModelsDir(),
    workers: 2,
    threadsPerWorker: 1,
    batchSize: 2,
    audit: (details) => {
      auditLocal(deps.store, 'history.reanalyze', 'history', null, details);
    },
    log: () => {},
    ...more,
  };
}

const analysesOf = (fx: Fixture, id: number) =>
  fx.ws.internals.store.db
    .prepare('SELECT id, engine_version, result_json FROM analyses WHERE recording_id = ? ORDER BY id')
    .all(id) as { id: number; engine_version: string; result_json: string }[];

const reanalysisEntries = (fx: Fixture) =>
  [...fx.ws.internals.store.audit.iterate()].filter((e) => e.action === 'history.reanalyze').map((e) => e.details);

// On a site the WAVs are the site's (the intake released the local copies): read from recording_audio.
for (const engine of ENGINES)
  test(
    `[${engine}] history re-analysis: two workers, signed skipped, resumable, one entry per batch and per run`,
    { skip },
    async (t) => {
      const made = await historyOf(6, engine, t);
      if (!made) return;
      const { fx, ids } = made;
      try {
        const [signedId, ...open] = ids as [number, ...number[]];
        // a signed recording with an analysis from an older engine: it must stay exactly as signed
        const store = fx.ws.internals.store;
        store.tx(() =>
          store.recordings.addAnalysis(signedId, {
            engineVersion: '0.9.0',
            headName: 'old-head',
            headVersion: '0.1',
            probabilities: { asthma: 0.1, copd: 0.1, pneumonia: 0.1, healthy: 0.6, bronchial: 0.1 },
            pAbnormal: 0.4,
            topClass: 'healthy',
            status: 'ok',
            quality: 'good',
            resultJson: '{"models":{"engineVersion":"0.9.0"}}',
          }),
        );
        await fx.ws.call(fx.as.pulmonologist, 'recordings.sign', {
          recordingId: signedId,
          label: 'healthy',
          statement: 'ok',
          meaning: 'reviewed-agree',
          password: PASSWORD,
        });
        const sealedBefore = JSON.stringify(analysesOf(fx, signedId));

        const lines: string[] = [];
        const first = await reanalyzeHistory(await options(fx, { log: (l) => lines.push(l) }));
        assert.equal(first.recordings, 6);
        assert.equal(first.signedSkipped, 1);
        assert.equal(first.analysed, 5);
        assert.equal(first.alreadyCurrent, 0);
        assert.deepEqual(first.failed, []);
        assert.equal(first.workers, 2);
        assert.equal(first.stopped, false);
        assert.equal(JSON.stringify(analysesOf(fx, signedId)), sealedBefore, 'the signed recording is untouched');
        for (const id of open) {
          const a = analysesOf(fx, id);
          assert.equal(a.length, 1);
          assert.equal(a[0]!.engine_version, ENGINE_VERSION);
          const detail = await fx.ws.call(fx.as.nurse, 'recordings.get', { id });
          assert.equal(detail.analysis?.models.engineVersion, ENGINE_VERSION, 'the new analysis is the current one');
        }
        assert.ok(lines.some((l) => /1 signed \(sealed: skipped/.test(l)));

        let entries = reanalysisEntries(fx);
        const batches = entries.filter((e) => e['phase'] === 'batch');
        assert.deepEqual(
          batches.flatMap((b) => b['recordingIds'] as number[]).sort((a, b) => a - b),
          [...open].sort((a, b) => a - b),
          'each analysed recording is named in exactly one batch entry',
        );
        assert.ok(batches.length >= 3 && batches.length <= 5, `batches of at most 2: ${batches.length}`);
        const end = entries.filter((e) => e['phase'] === 'finished');
        assert.equal(end.length, 1);
        assert.equal(end[0]!['analysed'], 5);
        assert.equal(end[0]!['signedSkipped'], 1);
        assert.ok(store.audit.verify().ok);

        // a second run finds nothing to do
        const second = await reanalyzeHistory(await options(fx));
        assert.equal(second.analysed, 0);
        assert.equal(second.alreadyCurrent, 5);
        assert.equal(second.signedSkipped, 1);
        for (const id of open) assert.equal(analysesOf(fx, id).length, 1, 'never analysed twice by the same models');
        entries = reanalysisEntries(fx);
        assert.equal(
          entries.filter((e) => e['phase'] === 'batch').length,
          batches.length,
          'no batch entry for no change',
        );
      } finally {
        await fx.ws.close();
      }
    },
  );

test('history re-analysis: a stopped run is continued by the next; a damaged WAV is reported', { skip }, async () => {
  const { fx, ids } = (await historyOf(7))!;
  try {
    const stop = new AbortController();
    const deps = fx.ws.internals;
    const base = await options(fx, { batchSize: 1 });
    const first = await reanalyzeHistory({
      ...base,
      signal: stop.signal,
      audit: (details) => {
        base.audit(details);
        if (details['phase'] === 'batch') stop.abort(); // stop once the first result is committed
      },
    });
    assert.equal(first.stopped, true);
    assert.ok(first.analysed >= 1 && first.analysed < 7, `analysed ${first.analysed}`);
    assert.equal(first.remaining, 7 - first.analysed);
    assert.equal(reanalysisEntries(fx).filter((e) => e['phase'] === 'stopped').length, 1);

    // damage one recording that is still to do: it fails with a sentence, the others go on
    const todo = ids.filter((id) => analysesOf(fx, id).length === 0);
    const damaged = todo[0]!;
    const rec = deps.store.recordings.get(damaged)!;
    const path = join(deps.recordingsDir, rec.fileName);
    const bytes = readFileSync(path);
    bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0x55;
    writeFileSync(path, bytes);

    const second = await reanalyzeHistory(base);
    assert.equal(second.alreadyCurrent, first.analysed);
    assert.equal(second.analysed, todo.length - 1);
    assert.equal(second.failed.length, 1);
    assert.equal(second.failed[0]!.id, damaged);
    assert.match(second.failed[0]!.reason, /no longer matches its stored SHA-256/);
    assert.equal(analysesOf(fx, damaged).length, 0, 'the damaged recording keeps its previous state');
    for (const id of ids)
      if (id !== damaged) assert.equal(analysesOf(fx, id).length, 1, `recording ${id}: exactly once`);
    const end = reanalysisEntries(fx).filter((e) => e['phase'] === 'finished');
    assert.equal(end.length, 1);
    assert.deepEqual(end[0]!['failedIds'], [damaged]);
  } finally {
    await fx.ws.close();
  }
});

test('auscult reanalyze: bad input is one sentence and changes nothing', () => {
  const compiled = import.meta.url.endsWith('.js');
  const main = join(PROJECT_ROOT, compiled ? 'dist/src/cli/main.js' : 'src/cli/main.ts');
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [...(compiled ? [] : ['--import', 'tsx']), main, 'reanalyze', ...args], {
      encoding: 'utf8',
    });
  const db = join(scratchDir(), 'none.sqlite');
  let r = cli('--db', db);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /say --all/);
  r = cli('--all', '--db', db, '--workers', '0');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--workers must be a whole number from 1 to 16 \(got '0'\)/);
  r = cli('--all', '--db', db, '--threads', '2; rm -rf /');
  assert.equal(r.status, 2);
  r = cli('--all', '--db', db);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /there is no database at .*none\.sqlite; give the history's file with --db/);
  assert.equal(existsSync(db), false, 'no database is created');
});
