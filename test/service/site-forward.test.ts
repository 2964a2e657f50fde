/**
 * Site mode, audio and store-and-forward, against a real PostgreSQL cluster and two workstations
 * with their own data folders: a recording imported on the ward cart is played, drawn and
 * re-analysed at the desk from the site database (the ward released its local copy); with the
 * server stopped mid-session (pg_ctl stop) three imports wait in the ward's outbox, the nurse is
 * told so, and when the server is back they are uploaded once each, in order, with their audit
 * entries, the desk's live updates reconnect, and the chain verifies. A crash between the site's
 * commit and the outbox's release uploads nothing twice; a waiting WAV changed on disk, or a waiting
 * item edited in outbox.sqlite (its patient snapshot too), is refused. A waiting recording goes only
 * to the person the nurse saw: the site's patient with that id under another MRN or other names is
 * refused (nothing written on the site, the WAV kept); a v1 outbox file migrates and uploads by id.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ApiEvents } from '../../src/service/api.js';
import { ApiError } from '../../src/service/errors.js';
import type { Outbox } from '../../src/store/index.js';
import { Workstation, type CallContext } from '../../src/service/workstation.js';
import Database from 'better-sqlite3';
import { canonicalJson, documentMessage, outboxPath, Store } from '../../src/store/index.js';
import { openStoreAt } from '../../src/service/site-store.js';
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { MODELS_DIR, scratchDir } from '../support/paths.js';
import { skipUnlessCi } from '../support/ci.js';
import { AnalysisEngine } from '../../src/inference/engine.js';
import { yamnetModelsDir, yamnetUnavailable } from '../inference/yamnet-fixture.js';
import { startPgCluster, type PgCluster } from '../support/pg-cluster.js';
import { approveSiteKeys } from '../support/site-serve.js';
import { wavBytes } from './helpers.js';
import { PortAudioBackend } from '../../src/capture/portaudio-backend.js';
import { tone, virtualAlsa, writeRaw } from '../support/virtual-alsa.js';

const DB = 'site_fwd';
let cluster: PgCluster | null = null;
let skipped: string | null = null;
let ward: Workstation;
let desk: Workstation;
let wardDir: string;
let nurse: CallContext;
let doctor: CallContext;
let patientId = 0;
/** Patient F1 as the ward's screen shows them. */
const SHOWN = { mrn: 'F1', familyName: 'Rward', givenName: 'Fo' };

let ownerSigning = '';
function ownerStore(c: PgCluster): Store {
  ownerSigning ||= scratchDir('fwd-owner-sign-');
  return Store.openSite(c.url('auscult_owner', DB), { signing: { dir: ownerSigning } });
}

/** Until `check` holds, polling; a 30 s guard so a lost upload fails the test, not hangs it. */
async function until(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  const end = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function outboxCounts(): Promise<{ waiting: number; refused: number }> {
  const s = await ward.call(nurse, 'system.status', {});
  assert.ok(s.detail?.outbox, 'a site workstation reports its outbox');
  return s.detail.outbox;
}

/** An import while the site is away: refused as a call (no site id yet), kept as a waiting recording. */
async function importWhileAway(bytes: Buffer, name: string, patientAsShown = SHOWN): Promise<void> {
  await assert.rejects(
    ward.call(nurse, 'recordings.import', {
      patientId,
      site: 'trachea',
      fileName: name,
      wavBase64: bytes.toString('base64'),
      patientAsShown,
    }),
    (err: unknown) => {
      assert.ok(err instanceof ApiError);
      assert.match(err.message, /^Saved on this workstation, waiting to upload/);
      assert.equal((err.details as { waitingToUpload?: boolean }).waitingToUpload, true);
      return true;
    },
  );
}

function wardRecordings(): string[] {
  const dir = join(wardDir, 'recordings');
  return existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.wav')) : [];
}

describe('site mode: audio in the site database, store and forward', () => {
  before(async () => {
    cluster = await startPgCluster((reason) => (skipped = reason));
    if (!cluster) return;
    cluster.createSite(DB, ['ward1', 'desk1', 'cart1', 'old1']);
    const owner = ownerStore(cluster);
    patientId = owner.tx(() => {
      const n = owner.users.create({ username: 'nina', displayName: 'Nina', role: 'nurse', passwordHash: 'x' });
      owner.users.create({ username: 'paul', displayName: 'Dr Paul', role: 'pulmonologist', passwordHash: 'x' });
      return owner.patients.create({ mrn: 'F1', givenName: 'Fo', familyName: 'Rward', createdBy: n.id }).id;
    });
    owner.close();
    wardDir = scratchDir('fwd-ward-');
    ward = await Workstation.open({
      dbPath: cluster.url('ward1', DB),
      dataDir: wardDir,
      engine: null,
      forwardIntervalMs: 200,
    });
    desk = await Workstation.open({ dbPath: cluster.url('desk1', DB), dataDir: scratchDir('fwd-desk-'), engine: null });
    nurse = { sessionToken: ward.signInLocal('nina'), transport: 'cli' };
    doctor = { sessionToken: desk.signInLocal('paul'), transport: 'cli' };
  });
  after(async () => {
    await ward?.close();
    await desk?.close();
    cluster?.stop();
  });

  it('an import on the ward is played, drawn and re-analysed at the desk from the site database; the ward keeps no copy', async (t) => {
    if (!cluster) {
      t.skip(skipped ?? 'no cluster');
      return;
    }
    const bytes = wavBytes({ seconds: 2 });
    const d = await ward.call(nurse, 'recordings.import', {
      patientId,
      site: 'trachea',
      fileName: 'chest.wav',
      wavBase64: bytes.toString('base64'),
    });
    assert.deepEqual(wardRecordings(), [], 'the local copy is released once the site holds it verified');
    const played = await desk.call(doctor, 'recordings.audio', { id: d.recording.id });
    assert.ok(Buffer.from(played.base64, 'base64').equals(bytes), 'the desk plays the very WAV the ward stored');
    const spec = await desk.call(doctor, 'recordings.spectrogram', { id: d.recording.id });
    assert.ok(spec.frames > 150, `a 2 s recording has ~198 frames, got ${spec.frames}`);
    const stored = cluster.psql('auscult_owner', DB, `SELECT count(*) FROM recording_audio`).stdout.trim();
    assert.equal(stored, '1');

    // Re-analysed at a desk with the real engine, from the site's copy of the audio.
    const missing = yamnetUnavailable();
    if (missing) {
      skipUnlessCi(t, `no YAMNet here: ${missing}`);
      return;
    }
    const engine = await AnalysisEngine.load({
      modelsDir: await yamnetModelsDir(),
      headCard: join(MODELS_DIR, 'head.card.json'),
    });
    const analyst = await Workstation.open({
      dbPath: cluster.url('desk1', DB),
      dataDir: scratchDir('fwd-desk2-'),
      engine,
    });
    try {
      const me: CallContext = { sessionToken: analyst.signInLocal('paul'), transport: 'cli' };
      const again = await analyst.call(me, 'recordings.reanalyze', { id: d.recording.id });
      assert.ok(again.analysis, 'the desk analysed the ward’s recording');
      assert.equal(again.analysis.models.engineVersion, engine.versions.engineVersion);
    } finally {
      await analyst.close();
      await engine.close();
    }
  });

  it('server stopped mid-session: three imports wait, the nurse is told, all are uploaded once, in order, when it is back', async (t) => {
    if (!cluster) {
      t.skip(skipped ?? 'no cluster');
      return;
    }
    const c = cluster;
    const before = ownerStore(c);
    const startSeq = before.audit.head().seq;
    before.close();
    const added: ApiEvents['recordings.changed'][] = [];
    const stopListening = desk.internals.events.onEvent('recordings.changed', (e) => added.push(e));
    const outbox = ward.internals.outbox as Outbox;
    // A crash between the site's commit and the outbox's release, once: the item must not be uploaded twice.
    const remove = outbox.remove.bind(outbox);
    let crashed = false;
    outbox.remove = (id: string) => {
      if (!crashed) {
        crashed = true;
        throw new Error('simulated crash before the outbox was released');
      }
      remove(id);
    };
    try {
      c.pause();
      const wavs = [wavBytes({ freq: 150 }), wavBytes({ freq: 250 }), wavBytes({ freq: 350 })];
      for (const [i, w] of wavs.entries()) await importWhileAway(w, `away-${i}.wav`);
      assert.deepEqual(await outboxCounts(), { waiting: 3, refused: 0 });
      assert.equal(wardRecordings().length, 3, 'the three WAVs are kept on the ward');

      c.resume();
      await until('the outbox is empty', async () => (await outboxCounts()).waiting === 0);
      assert.deepEqual(await outboxCounts(), { waiting: 0, refused: 0 });
      assert.equal(crashed, true, 'the simulated crash happened (and the retry finished the item)');
      assert.deepEqual(wardRecordings(), [], 'uploaded WAVs are released from the ward');
      // The desk's live updates reconnect by themselves: a recording made once they are back reaches
      // it (one made before its LISTEN is back is not announced to it: NOTIFY does not queue).
      const heard = (id: number) => added.some((e) => e.kind !== 'missed-changes' && e.recordingId === id);
      let reached = false;
      for (let i = 0; i < 30 && !reached; i++) {
        const next = await ward.call(nurse, 'recordings.import', {
          patientId,
          site: 'trachea',
          fileName: `after-${i}.wav`,
          wavBase64: wavBytes({ freq: 500 + i }).toString('base64'),
        });
        const end = Date.now() + 1000;
        while (!(reached = heard(next.recording.id)) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(reached, "the desk's listener reconnected and hears new recordings");
      const site = ownerStore(c);
      try {
        const rows = site.db
          .prepare(
            `SELECT r.id, r.wav_sha256 AS sha, a.seq, a.details_json FROM recordings r
             JOIN audit_log a ON a.action = 'recording.create' AND a.object_id = CAST(r.id AS TEXT)
             WHERE a.seq > ? ORDER BY a.seq`,
          )
          .all(startSeq) as { id: number; sha: string; seq: number; details_json: string }[];
        const all = rows.map((r) => ({ ...r, d: JSON.parse(r.details_json) as Record<string, unknown> }));
        const forwarded = all.filter((r) => r.d['uploadedFromOutbox'] === true);
        assert.equal(
          all.length - forwarded.length,
          all.filter((r) => String(r.d['originalName']).startsWith('after-')).length,
        );
        assert.equal(forwarded.length, 3, 'each waiting recording uploaded exactly once');
        const details = forwarded.map((r) => r.d);
        assert.deepEqual(
          details.map((d) => d['originalName']),
          ['away-0.wav', 'away-1.wav', 'away-2.wav'],
          'in the order they were made',
        );
        const times = details.map((d) => String(d['savedOnWorkstationAt']));
        assert.deepEqual(times, [...times].sort(), 'the original times are noted, in order');
        assert.equal(new Set(details.map((d) => d['intakeId'])).size, 3);
        for (const [i, r] of forwarded.entries()) {
          const audio = site.recordingAudio(r.id);
          assert.ok(audio?.equals(wavs[i]!), `recording ${r.id}'s audio is the ${i + 1}th WAV`);
        }
        // verified by the ward, against its own checkpoints and every workstation's registered key
        assert.ok(ward.internals.store.verifyAudit().awaitingApproval, 'unapproved keys are not verified');
        approveSiteKeys(c, DB);
        const check = ward.internals.store.verifyAudit();
        assert.equal(check.ok, true, check.reason ?? '');
      } finally {
        site.close();
      }
    } finally {
      outbox.remove = remove;
      stopListening();
      c.resume();
    }
  });

  it('a waiting WAV changed, or a waiting item edited, on the workstation is refused loudly and not uploaded; the others go', async (t) => {
    if (!cluster) {
      t.skip(skipped ?? 'no cluster');
      return;
    }
    const c = cluster;
    const countBefore = Number(c.psql('auscult_owner', DB, 'SELECT count(*) FROM recordings').stdout.trim());
    try {
      c.pause();
      await importWhileAway(wavBytes({ freq: 400 }), 'tampered.wav');
      const [first] = wardRecordings().sort();
      await importWhileAway(wavBytes({ freq: 430 }), 'edited.wav');
      await importWhileAway(wavBytes({ freq: 450 }), 'fine.wav');
      // Someone with the data folder edits a waiting item: its audit entry now names the doctor.
      const file = new Database(outboxPath(wardDir));
      const row = file.prepare("SELECT seq, audit_json FROM items WHERE audit_json LIKE '%edited.wav%'").get() as {
        seq: number;
        audit_json: string;
      };
      file
        .prepare('UPDATE items SET audit_json = ? WHERE seq = ?')
        .run(row.audit_json.replace('"username":"nina"', '"username":"paul"'), row.seq);
      file.close();
      const path = join(wardDir, 'recordings', first!);
      const b = readFileSync(path);
      b[b.length - 2] = b[b.length - 2]! ^ 0xff; // one sample changed
      writeFileSync(path, b);
      c.resume();
      await until('the outbox has been tried', async () => (await outboxCounts()).waiting === 0);
      assert.deepEqual(await outboxCounts(), { waiting: 0, refused: 2 });
      const refused = (ward.internals.outbox as Outbox).all().filter((i) => i.state === 'refused');
      assert.equal(refused.length, 2);
      assert.match(refused[0]!.problem ?? '', /no longer matches the SHA-256/);
      assert.equal(refused[0]!.recording.fileName, first);
      assert.match(refused[1]!.problem ?? '', /signature does not match its contents/);
      const countAfter = Number(c.psql('auscult_owner', DB, 'SELECT count(*) FROM recordings').stdout.trim());
      assert.equal(countAfter, countBefore + 1, 'only the untouched recording reached the site');
      assert.ok(existsSync(path), 'the refused WAV stays on the workstation for an administrator');
    } finally {
      c.resume();
    }
  });

  it('with the site away, a nurse still records on a cart: start and stop work, the take waits and is uploaded', async (t) => {
    if (!cluster) {
      t.skip(skipped ?? 'no cluster');
      return;
    }
    const c = cluster;
    const dir = scratchDir('fwd-cart-');
    writeRaw(join(dir, 'tone.raw'), tone(44100, 60, 180, 0.2));
    const alsa = virtualAlsa([{ name: 'stetho', infile: join(dir, 'tone.raw') }]);
    const cartDir = join(dir, 'data');
    const cart = await Workstation.open({
      dbPath: c.url('cart1', DB),
      dataDir: cartDir,
      engine: null,
      forwardIntervalMs: 200,
      capture: {
        backend: new PortAudioBackend({ env: alsa.env, stallTimeoutMs: 1000 }),
        countdownSec: 0,
        watchIntervalMs: 60_000,
      },
    });
    const me: CallContext = { sessionToken: cart.signInLocal('nina'), transport: 'cli' };
    try {
      const before = Number(c.psql('auscult_owner', DB, 'SELECT count(*) FROM recordings').stdout.trim());
      await cart.call(me, 'capture.preferences', {}); // the record view opened before the site went away
      c.pause();
      // Without the patient as the screen shows them, the site away cannot be trusted to file it: refused before recording.
      await assert.rejects(
        cart.call(me, 'capture.start', { patientId, site: 'anterior-right-upper', durationSec: null }),
        /cannot be reached, and patient \d+ was not given as the screen shows them .*nothing was recorded/,
      );
      assert.equal((await cart.call(me, 'capture.status', {})).state, 'idle');
      const started = await cart.call(me, 'capture.start', {
        patientId,
        site: 'anterior-right-upper',
        durationSec: null,
        patientAsShown: SHOWN,
      });
      await until('a second is recorded', async () => (await cart.call(me, 'capture.status', {})).elapsedSec >= 1);
      await assert.rejects(cart.call(me, 'capture.stop', { captureId: started.captureId! }), (err: unknown) => {
        assert.ok(err instanceof ApiError);
        assert.match(err.message, /^Saved on this workstation, waiting to upload/);
        return true;
      });
      const state = await cart.call(me, 'capture.status', {});
      assert.match(state.message ?? '', /waiting to upload/);
      assert.deepEqual(
        readdirSync(join(cartDir, 'in-progress')).filter((n) => n.endsWith('.wav')),
        [],
        'not left as an interrupted recording',
      );
      assert.deepEqual((await cart.call(me, 'system.status', {})).detail?.outbox, { waiting: 1, refused: 0 });
      c.resume();
      await until(
        'the take is uploaded',
        async () => (await cart.call(me, 'system.status', {})).detail?.outbox?.waiting === 0,
      );
      const after = Number(c.psql('auscult_owner', DB, 'SELECT count(*) FROM recordings').stdout.trim());
      assert.equal(after, before + 1);
      const last = c
        .psql(
          'auscult_owner',
          DB,
          "SELECT r.status || ' ' || r.site || ' ' || (a.sha256 = r.wav_sha256) FROM recordings r JOIN recording_audio a ON a.recording_id = r.id ORDER BY r.id DESC LIMIT 1",
        )
        .stdout.trim();
      assert.equal(last, 'recorded anterior-right-upper true');
      const id = started.captureId!;
      const entries = c
        .psql(
          'auscult_owner',
          DB,
          `SELECT action || ' ' || coalesce(json_extract(details_json, '$.uploadedFromOutbox'), '-') || ' ' || (json_extract(details_json, '$.savedOnWorkstationAt') < at) FROM audit_log
           WHERE (object_type = 'capture' AND object_id = '${id}') OR (action = 'recording.create' AND json_extract(details_json, '$.captureId') = '${id}')
           ORDER BY seq`,
        )
        .stdout.trim()
        .split('\n');
      assert.deepEqual(
        entries,
        ['capture.start true true', 'recording.create true true', 'capture.stop true true'],
        "the take's audit entries, in order, each noting the earlier time it was made on the cart",
      );
    } finally {
      c.resume();
      await cart.close();
    }
  });
  it('a waiting recording goes only to the person the nurse saw: same id under another MRN or other names is refused, nothing written on the site, the WAV kept; a match goes once', async (t) => {
    if (!cluster) {
      t.skip(skipped ?? 'no cluster');
      return;
    }
    const c = cluster;
    const outbox = ward.internals.outbox as Outbox;
    const count = (table: string) => Number(c.psql('auscult_owner', DB, `SELECT count(*) FROM ${table}`).stdout.trim());
    // Online, the screen's patient is checked at once: someone else under that id is refused, nothing stored.
    await assert.rejects(
      ward.call(nurse, 'recordings.import', {
        patientId,
        site: 'trachea',
        fileName: 'stale.wav',
        wavBase64: wavBytes({ freq: 610 }).toString('base64'),
        patientAsShown: { ...SHOWN, mrn: 'F2' },
      }),
      (err: unknown) => {
        assert.ok(err instanceof ApiError);
        assert.equal(err.code, 'CONFLICT');
        assert.match(
          err.message,
          /^This is not the patient you were shown: the site's patient \d+ is MRN F1, but the screen showed MRN F2\. .*nothing was stored\.$/,
        );
        return true;
      },
    );
    const before = { recordings: count('recordings'), audio: count('recording_audio'), audit: count('audit_log') };
    const refusedBefore = outbox.counts().refused;
    const known = new Set(outbox.all().map((i) => i.intakeId));
    try {
      c.pause();
      await importWhileAway(wavBytes({ freq: 620 }), 'other-mrn.wav', { ...SHOWN, mrn: 'F2' });
      await importWhileAway(wavBytes({ freq: 630 }), 'other-name.wav', { ...SHOWN, familyName: 'Elsewhere' });
      // case and accents folded as the search folds them: the same person
      await importWhileAway(wavBytes({ freq: 640 }), 'folded.wav', { ...SHOWN, familyName: 'RWÁRD', givenName: 'fo' });
      const mine = outbox.all().filter((i) => !known.has(i.intakeId));
      assert.deepEqual(
        mine.map((i) => i.patient?.mrn),
        ['F2', 'F1', 'F1'],
        'each item carries the patient as shown',
      );
      c.resume();
      await until('the outbox has been tried', async () => (await outboxCounts()).waiting === 0);
      assert.equal(outbox.counts().refused, refusedBefore + 2);
      const refused = outbox.all().filter((i) => !known.has(i.intakeId));
      assert.equal(refused.length, 2, 'the matching one was uploaded and released');
      const [otherMrn, otherName] = refused;
      assert.match(
        otherMrn!.problem ?? '',
        new RegExp(
          `^Not uploaded: the site's patient ${patientId} is MRN F1, but the screen showed MRN F2 when this recording was made\\. It stays on this workstation: find the right patient and re-file it with \`auscult site outbox --refile ${otherMrn!.seq} --patient <MRN>`,
        ),
      );
      assert.match(
        otherName!.problem ?? '',
        /patient \d+ \(MRN F1\) has another name than the one the screen showed when this recording was made\. It stays on this workstation/,
      );
      for (const r of refused) assert.doesNotMatch(r.problem ?? '', /Rward|Elsewhere|Fo\b/, 'no names in the reason');
      // Nothing of the refused ones on the site: one recording, one audio, and only its entries.
      assert.equal(count('recordings'), before.recordings + 1);
      assert.equal(count('recording_audio'), before.audio + 1);
      for (const r of refused) {
        const n = c.psql(
          'auscult_owner',
          DB,
          `SELECT count(*) FROM audit_log WHERE details_json LIKE '%${r.intakeId}%'`,
        );
        assert.equal(n.stdout.trim(), '0', `no entry of refused item ${r.seq} reached the site`);
        assert.ok(existsSync(join(wardDir, 'recordings', r.recording.fileName)), 'its WAV stays on the ward');
      }
      const uploaded = c
        .psql(
          'auscult_owner',
          DB,
          "SELECT count(*) FROM audit_log WHERE action = 'recording.create' AND details_json LIKE '%folded.wav%'",
        )
        .stdout.trim();
      assert.equal(uploaded, '1', 'the matching recording was uploaded once');
    } finally {
      c.resume();
    }
  });

  it('a waiting item whose patient snapshot was edited, or blanked to pass as a v1 item, is refused by its signature', async (t) => {
    if (!cluster) {
      t.skip(skipped ?? 'no cluster');
      return;
    }
    const c = cluster;
    const outbox = ward.internals.outbox as Outbox;
    const known = new Set(outbox.all().map((i) => i.intakeId));
    const countBefore = Number(c.psql('auscult_owner', DB, 'SELECT count(*) FROM recordings').stdout.trim());
    try {
      c.pause();
      await importWhileAway(wavBytes({ freq: 660 }), 'snapshot-edited.wav', { ...SHOWN, mrn: 'F2' });
      await importWhileAway(wavBytes({ freq: 670 }), 'snapshot-blanked.wav', { ...SHOWN, mrn: 'F2' });
      // Someone with the data folder makes both fit the site's patient: one edited to F1, one made to look like v1.
      const file = new Database(outboxPath(wardDir));
      file
        .prepare(
          "UPDATE items SET patient_json = replace(patient_json, '\"F2\"', '\"F1\"') WHERE recording_json LIKE '%' || ? || '%'",
        )
        .run(outbox.all().find((i) => !known.has(i.intakeId))!.recording.fileName);
      file
        .prepare('UPDATE items SET patient_json = NULL WHERE recording_json LIKE ?')
        .run(`%${outbox.all().filter((i) => !known.has(i.intakeId))[1]!.recording.fileName}%`);
      file.close();
      const edited = outbox.all().filter((i) => !known.has(i.intakeId));
      assert.deepEqual(
        edited.map((i) => i.patient?.mrn ?? null),
        ['F1', null],
        'the edits are in the file',
      );
      c.resume();
      await until('the outbox has been tried', async () => (await outboxCounts()).waiting === 0);
      const refused = outbox.all().filter((i) => !known.has(i.intakeId));
      assert.equal(refused.length, 2);
      for (const r of refused) {
        assert.equal(r.state, 'refused');
        assert.match(r.problem ?? '', /signature does not match its contents: the outbox was edited outside Auscult/);
      }
      const countAfter = Number(c.psql('auscult_owner', DB, 'SELECT count(*) FROM recordings').stdout.trim());
      assert.equal(countAfter, countBefore, 'neither reached the site');
    } finally {
      c.resume();
    }
  });

  it('a v1 outbox file (no patient snapshots) migrates to v2 when the workstation opens, and its item uploads by patient id, as before', async (t) => {
    if (!cluster) {
      t.skip(skipped ?? 'no cluster');
      return;
    }
    const c = cluster;
    const dataDir = scratchDir('fwd-old-');
    // The workstation's own key and the site's id, as an Auscult of outbox schema 1 had them.
    const st = openStoreAt(c.url('old1', DB), { dataDir });
    const { signer, dbId } = st.signing!;
    const nina = st.users.byUsername('nina')!;
    st.close();
    mkdirSync(join(dataDir, 'recordings'), { recursive: true });
    const wav = wavBytes({ freq: 700 });
    const fileName = '20261203-000000Z-0123456789ab.wav';
    writeFileSync(join(dataDir, 'recordings', fileName), wav);
    const intakeId = randomUUID();
    const at = new Date().toISOString();
    const recording = {
      patientId,
      site: 'trachea',
      deviceName: 'imported file',
      sampleRate: 4000,
      durationSec: 1,
      fileName,
      wavSha256: createHash('sha256').update(wav).digest('hex'),
      status: 'imported',
      recordedBy: nina.id,
      recordedAt: at,
    };
    const audit = [
      {
        at,
        username: 'nina',
        action: 'recording.create',
        objectType: 'recording',
        objectId: null,
        transport: 'cli',
        details: { patientId, intakeId, fileName, originalName: 'v1.wav' },
      },
    ];
    // Schema 1 exactly as it shipped (DDL, user_version, signed message), written by hand.
    const v1 = new Database(outboxPath(dataDir));
    v1.exec(`CREATE TABLE items (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      intake_id TEXT NOT NULL UNIQUE,
      saved_at TEXT NOT NULL,
      recording_json TEXT NOT NULL,
      analysis_json TEXT,
      audit_json TEXT NOT NULL,
      after_seq INTEGER,
      state TEXT NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'refused')),
      problem TEXT,
      key_id TEXT NOT NULL,
      sig TEXT NOT NULL
    )`);
    v1.pragma('user_version = 1');
    const message = documentMessage(
      'auscult-outbox-item/1',
      canonicalJson({ dbId, intakeId, savedAt: at, recording, analysis: null, audit }),
    );
    v1.prepare(
      'INSERT INTO items (intake_id, saved_at, recording_json, analysis_json, audit_json, after_seq, key_id, sig) VALUES (?, ?, ?, NULL, ?, NULL, ?, ?)',
    ).run(
      intakeId,
      at,
      JSON.stringify(recording),
      JSON.stringify(audit),
      signer.keyId,
      signer.sign(message).toString('base64'),
    );
    v1.close();

    const old = await Workstation.open({ dbPath: c.url('old1', DB), dataDir, engine: null, forwardIntervalMs: 200 });
    try {
      const me: CallContext = { sessionToken: old.signInLocal('nina'), transport: 'cli' };
      await until(
        'the v1 item is uploaded',
        async () => (await old.call(me, 'system.status', {})).detail?.outbox?.waiting === 0,
      );
      assert.deepEqual((await old.call(me, 'system.status', {})).detail?.outbox, { waiting: 0, refused: 0 });
      const row = c
        .psql(
          'auscult_owner',
          DB,
          `SELECT r.patient_id || ' ' || (a.sha256 = r.wav_sha256) || ' ' || json_extract(l.details_json, '$.uploadedFromOutbox') FROM audit_log l
           JOIN recordings r ON CAST(r.id AS TEXT) = l.object_id JOIN recording_audio a ON a.recording_id = r.id
           WHERE l.action = 'recording.create' AND json_extract(l.details_json, '$.intakeId') = '${intakeId}'`,
        )
        .stdout.trim();
      assert.equal(row, `${patientId} true true`, 'uploaded once, to patient id F1, with its audio');
      assert.equal(existsSync(join(dataDir, 'recordings', fileName)), false, 'released after the upload');
    } finally {
      await old.close();
    }
    const migrated = new Database(outboxPath(dataDir), { readonly: true });
    try {
      assert.equal(migrated.pragma('user_version', { simple: true }), 2);
      const cols = (migrated.prepare('PRAGMA table_info(items)').all() as { name: string }[]).map((x) => x.name);
      assert.ok(cols.includes('patient_json'), 'schema 2 adds the patient snapshot');
    } finally {
      migrated.close();
    }
  });
});
