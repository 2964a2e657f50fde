/**
 * `auscult site outbox` on a real site (PostgreSQL cluster) and a workstation whose forwarder has
 * refused four waiting recordings: one made for a patient id the site does not hold, one whose WAV
 * went missing from the recordings folder, and two made for Ann Lee (MRN-7) under an id that is Bob
 * Roe's on the site (one of them then edited in outbox.sqlite). An administrator lists them (each
 * with its reason and what to do), puts the WAV back and retries (uploaded once), re-files the
 * misfiled one to MRN-7 (uploaded once, to her), is refused re-filing the edited one, discards the
 * others with a reason (WAVs kept); bad input and a nurse are refused with a sentence, and nothing
 * changes; every use is audited. A row damaged in outbox.sqlite so that it cannot be read is refused
 * without holding back the rest, and can only be discarded.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import Database from 'better-sqlite3';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { outboxPath, type Outbox, type OutboxPatient } from '../../src/store/index.js';
import { PROJECT_ROOT } from '../support/paths.js';
import { approveSiteKeys } from '../support/site-serve.js';
import { openEngineFixture, PASSWORD, stopTestClusters, writeWav, type Fixture } from './helpers.js';

after(stopTestClusters);

const compiled = extname(fileURLToPath(import.meta.url)) === '.js';
const MAIN = join(PROJECT_ROOT, compiled ? 'dist/src/cli/main.js' : 'src/cli/main.ts');

function auscult(args: string[]) {
  const r = spawnSync(process.execPath, [...process.execArgv.filter((a) => !a.startsWith('--test')), MAIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, AUSCULT_PASSWORD: PASSWORD },
    input: '',
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

async function until(what: string, check: () => boolean): Promise<void> {
  const end = Date.now() + 30_000;
  while (!check()) {
    if (Date.now() > end) assert.fail(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A recording saved in the outbox as the intake saves one while the site is away. */
function saveWaiting(fx: Fixture, outbox: Outbox, patientId: number, fileName: string, patient: OutboxPatient): void {
  const deps = fx.ws.internals;
  mkdirSync(deps.recordingsDir, { recursive: true });
  const wav = writeWav(join(deps.recordingsDir, fileName));
  const intakeId = randomUUID();
  const at = new Date().toISOString();
  const signing = deps.store.signing!;
  outbox.add(
    {
      intakeId,
      savedAt: at,
      recording: {
        patientId,
        site: 'trachea',
        deviceName: 'test',
        sampleRate: 4000,
        durationSec: 1,
        fileName,
        wavSha256: createHash('sha256').update(wav).digest('hex'),
        status: 'imported',
        recordedBy: deps.store.users.byUsername('nurse')!.id,
        recordedAt: at,
      },
      patient,
      analysis: null,
      audit: [
        {
          at,
          username: 'nurse',
          action: 'recording.create',
          objectType: 'recording',
          objectId: null,
          transport: 'http',
          details: { patientId, intakeId },
        },
      ],
      afterSeq: null,
    },
    signing.signer,
    signing.dbId,
  );
}

test('[postgresql] site outbox: refused items listed with their reason and what to do; retry after the cause is fixed uploads once; a misfiled item re-filed to the right MRN uploads once to them, an edited one is not re-filed; discard needs a reason and keeps the WAV; admin only, audited', async (t) => {
  const fx = await openEngineFixture('postgresql', t, { forwardIntervalMs: 150 });
  if (!fx) return;
  const deps = fx.ws.internals;
  const outbox = deps.outbox!;
  const store = deps.store;
  const patient = await fx.ws.call(fx.as.nurse, 'patients.create', {
    mrn: 'MRN-7',
    givenName: 'Ann',
    familyName: 'Lee',
  });
  const bob = await fx.ws.call(fx.as.nurse, 'patients.create', { mrn: 'MRN-8', givenName: 'Bob', familyName: 'Roe' });
  const ann = { mrn: 'MRN-7', familyName: 'Lee', givenName: 'Ann' };
  const recDir = deps.recordingsDir;
  saveWaiting(fx, outbox, 999_999, 'wrong-patient.wav', ann);
  saveWaiting(fx, outbox, patient.id, 'moved-away.wav', ann);
  renameSync(join(recDir, 'moved-away.wav'), join(recDir, 'moved-away.bak'));
  // Made for Ann Lee under the id that is Bob Roe's on the site (ids reused, say).
  saveWaiting(fx, outbox, bob.id, 'misfiled.wav', ann);
  saveWaiting(fx, outbox, bob.id, 'misfiled-edited.wav', ann);
  await until('all four are refused', () => outbox.counts().refused === 4);
  const [wrong, moved, misfiled, edited] = outbox.all();
  // Someone edits the last one in outbox.sqlite after it was refused (its recording.create entry's user).
  const file = new Database(outboxPath(fx.dir));
  file
    .prepare(
      'UPDATE items SET audit_json = replace(audit_json, \'"username":"nurse"\', \'"username":"admin"\') WHERE seq = ?',
    )
    .run(edited!.seq);
  file.close();
  const db = fx.dbPath;
  const base = ['site', 'outbox', '--db', db, '--data-dir', fx.dir];

  const list = auscult([...base, '--list', '--user', 'admin', '--json']);
  assert.equal(list.code, 0, list.err);
  const items = (
    JSON.parse(list.out) as {
      items: {
        id: number;
        state: string;
        mrn: string | null;
        madeForMrn: string | null;
        problem: string;
        why: string;
      }[];
    }
  ).items;
  assert.deepEqual(
    items.map((i) => [i.id, i.state, i.mrn, i.madeForMrn]),
    [
      [wrong!.seq, 'refused', null, 'MRN-7'],
      [moved!.seq, 'refused', 'MRN-7', 'MRN-7'],
      [misfiled!.seq, 'refused', 'MRN-8', 'MRN-7'],
      [edited!.seq, 'refused', 'MRN-8', 'MRN-7'],
    ],
  );
  assert.match(
    items[0]!.why,
    /no patient with id 999999.*re-file this item to them with `auscult site outbox --refile/,
  );
  assert.match(items[0]!.why, /discard this item with a reason and import the kept WAV/);
  assert.match(items[1]!.why, /no longer on this workstation\. Put the file back from a backup and retry/);
  assert.match(
    items[2]!.problem,
    new RegExp(`patient ${bob.id} is MRN MRN-8, but the screen showed MRN MRN-7 when this recording was made\\.`),
  );
  assert.match(
    items[2]!.why,
    new RegExp(`not the person this recording was made for .*--refile ${misfiled!.seq} --patient <MRN>`),
  );
  const text = auscult([...base, '--user', 'admin']);
  assert.match(text.out, new RegExp(`#${wrong!.seq}  refused .*patient id 999999 \\(not on the site\\)`));
  assert.match(
    text.out,
    new RegExp(
      `#${misfiled!.seq}  refused .*patient MRN-8 \\(made for MRN MRN-7\\).*\\n    Refused: Not uploaded: the site's patient ${bob.id} is MRN MRN-8`,
    ),
  );
  assert.doesNotMatch(text.out + list.out, /Ann|Lee|Bob|Roe/, 'the list names MRNs, not names');

  // Refusals: one sentence each, nothing changed (the outbox and the site's chain as they were).
  const head = store.audit.head().seq;
  const refusals: [string[], number, RegExp][] = [
    [[...base, '--discard', String(wrong!.seq), '--user', 'admin'], 2, /at least 10 characters/],
    [[...base, '--discard', String(wrong!.seq), '--reason', 'too short', '--user', 'admin'], 2, /at least 10/],
    [[...base, '--discard', String(wrong!.seq), '--reason', 'line one\nline two!', '--user', 'admin'], 2, /one line/],
    [[...base, '--retry', '1;DROP', '--user', 'admin'], 2, /not an item id/],
    [[...base, '--retry', '4242', '--user', 'admin'], 1, /no item 4242/],
    [
      [...base, '--retry', '1', '--discard', '2', '--user', 'admin'],
      2,
      /one of --list, --retry, --discard or --refile/,
    ],
    [
      [...base, '--refile', String(misfiled!.seq), '--reason', 'ids reused after restore', '--user', 'admin'],
      2,
      /go together/,
    ],
    [
      [...base, '--refile', String(misfiled!.seq), '--patient', 'MRN-7', '--user', 'admin'],
      2,
      /re-filing needs --reason/,
    ],
    [
      [
        ...base,
        '--refile',
        String(misfiled!.seq),
        '--patient',
        'MRN\u00077',
        '--reason',
        'ids reused after restore',
        '--user',
        'admin',
      ],
      2,
      /--patient takes the MRN/,
    ],
    [
      [
        ...base,
        '--refile',
        String(misfiled!.seq),
        '--patient',
        'NOPE-1',
        '--reason',
        'ids reused after restore',
        '--user',
        'admin',
      ],
      1,
      /no patient with MRN NOPE-1/,
    ],
    [
      [
        ...base,
        '--refile',
        String(moved!.seq),
        '--patient',
        'MRN-7',
        '--reason',
        'ids reused after restore',
        '--user',
        'admin',
      ],
      1,
      /not refused for its patient/,
    ],
    [
      [
        ...base,
        '--refile',
        String(edited!.seq),
        '--patient',
        'MRN-7',
        '--reason',
        'ids reused after restore',
        '--user',
        'admin',
      ],
      1,
      /cannot be re-filed: its signature does not match its contents/,
    ],
    [
      [
        ...base,
        '--refile',
        String(misfiled!.seq),
        '--patient',
        'MRN-7',
        '--reason',
        'ids reused after restore',
        '--user',
        'nurse',
      ],
      1,
      /not an administrator/,
    ],
    [[...base, '--retry', String(moved!.seq), '--user', 'nurse'], 1, /not an administrator/],
    [[...base, '--retry', String(moved!.seq)], 2, /--user <admin>/],
    [['site', 'outbox', '--db', join(fx.dir, 'x.sqlite'), '--user', 'admin'], 2, /belongs to site mode/],
  ];
  for (const [args, code, message] of refusals) {
    const r = auscult(args);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, message);
    assert.match(r.err, /Nothing was changed|--user <admin>/);
  }
  assert.equal(outbox.counts().refused, 4);
  assert.deepEqual(
    outbox.all().map((i) => [i.recording.patientId, i.sig]),
    [wrong, moved, misfiled, edited].map((i) => [i!.recording.patientId, i!.sig]),
    'no item was re-filed or re-signed',
  );
  assert.deepEqual(
    store.audit
      .list({}, 50, 0)
      .items.filter((e) => e.seq > head)
      .map((e) => e.action)
      .filter((a) => a.startsWith('outbox.')),
    [],
    'refused uses wrote no outbox entry',
  );

  // The WAV is back: retried, uploaded once by the running workstation.
  renameSync(join(recDir, 'moved-away.bak'), join(recDir, 'moved-away.wav'));
  const retry = auscult([...base, '--retry', String(moved!.seq), '--user', 'admin']);
  assert.equal(retry.code, 0, retry.err);
  assert.match(retry.out, /waiting again/);
  await until('the retried item is uploaded', () => outbox.all().length === 3);
  assert.equal(store.recordings.list({ patientId: patient.id }, 10, 0).total, 1, 'uploaded once');
  assert.equal(existsSync(join(recDir, 'moved-away.wav')), false, 'released after the verified upload');

  const discard = auscult([
    ...base,
    '--discard',
    String(wrong!.seq),
    '--reason',
    'patient id from a restored site copy; re-imported by hand',
    '--user',
    'admin',
  ]);
  assert.equal(discard.code, 0, discard.err);
  assert.equal(existsSync(join(recDir, 'wrong-patient.wav')), true, 'the WAV is kept');

  // The misfiled one goes to Ann Lee (MRN-7), signed anew; Bob Roe gets nothing.
  const refile = auscult([
    ...base,
    '--refile',
    String(misfiled!.seq),
    '--patient',
    'MRN-7',
    '--reason',
    'site restored from backup, ids reused',
    '--user',
    'admin',
  ]);
  assert.equal(refile.code, 0, refile.err);
  assert.match(refile.out, /filed under MRN MRN-7 .*waiting again/);
  await until('the re-filed item is uploaded', () => outbox.all().length === 1);
  assert.equal(store.recordings.list({ patientId: patient.id }, 10, 0).total, 2, "uploaded once, to Ann Lee's id");
  assert.equal(store.recordings.list({ patientId: bob.id }, 10, 0).total, 0, 'nothing filed under Bob Roe');
  const created = store.audit
    .list({ action: 'recording.create' }, 50, 0)
    .items.find((e) => e.details['intakeId'] === misfiled!.intakeId)!;
  assert.equal(created.details['patientId'], patient.id);
  assert.deepEqual(created.details['refiledFrom'], { patientId: bob.id, mrn: 'MRN-7' });
  assert.equal(created.details['uploadedFromOutbox'], true);

  const discardEdited = auscult([
    ...base,
    '--discard',
    String(edited!.seq),
    '--reason',
    'edited outside Auscult; reported to security',
    '--user',
    'admin',
  ]);
  assert.equal(discardEdited.code, 0, discardEdited.err);
  assert.equal(outbox.all().length, 0);

  const entries = store.audit.list({ action: 'outbox' }, 50, 0).items;
  assert.deepEqual(
    entries.map((e) => e.action),
    ['outbox.discard', 'outbox.refile', 'outbox.discard', 'outbox.retry', 'outbox.list', 'outbox.list'],
  );
  const [, refiled, discarded] = entries;
  assert.equal(discarded!.username, 'admin');
  assert.equal(discarded!.objectId, wrong!.intakeId);
  assert.equal(discarded!.details['reason'], 'patient id from a restored site copy; re-imported by hand');
  assert.match(String(discarded!.details['problem']), /no patient 999999/);
  assert.equal(refiled!.objectId, misfiled!.intakeId);
  assert.deepEqual(
    [
      refiled!.details['patientId'],
      refiled!.details['madeForMrn'],
      refiled!.details['toPatientId'],
      refiled!.details['toMrn'],
    ],
    [bob.id, 'MRN-7', patient.id, 'MRN-7'],
  );
  assert.equal(refiled!.details['reason'], 'site restored from backup, ids reused');
  // the CLI's own key (its data folder is the workstation's: the same key, approved by the fixture)
  assert.equal(approveSiteKeys(fx.site!.cluster, fx.site!.name), 0);
  const check = store.verifyAudit();
  assert.equal(check.ok, true, check.reason ?? '');
});

test('[postgresql] site outbox: a row whose stored contents cannot be read is refused, the others upload; --list names it, --retry and --refile are refused with a sentence, --discard removes it, audited', async (t) => {
  const fx = await openEngineFixture('postgresql', t, { forwardIntervalMs: 150 });
  if (!fx) return;
  const deps = fx.ws.internals;
  const outbox = deps.outbox!;
  const store = deps.store;
  const patient = await fx.ws.call(fx.as.nurse, 'patients.create', { mrn: 'MRN-9', givenName: 'Cy', familyName: 'Ng' });
  const cy = { mrn: 'MRN-9', familyName: 'Ng', givenName: 'Cy' };
  // All in one tick: the forwarder's timer cannot run before the middle row is damaged.
  saveWaiting(fx, outbox, patient.id, 'first.wav', cy);
  saveWaiting(fx, outbox, patient.id, 'damaged.wav', cy);
  saveWaiting(fx, outbox, patient.id, 'last.wav', cy);
  const file = new Database(outboxPath(fx.dir));
  const damaged = file.prepare("SELECT seq, intake_id FROM items WHERE recording_json LIKE '%damaged.wav%'").get() as {
    seq: number;
    intake_id: string;
  };
  file.prepare('UPDATE items SET recording_json = \'{"fileName": "dam\' WHERE seq = ?').run(damaged.seq);
  file.close();

  await until('the readable two are uploaded', () => outbox.counts().waiting === 0);
  assert.deepEqual(outbox.counts(), { waiting: 0, refused: 1 });
  assert.equal(
    store.recordings.list({ patientId: patient.id }, 10, 0).total,
    2,
    'the items after it are not held back',
  );
  const { items, unreadable } = outbox.read();
  assert.equal(items.length, 0);
  assert.deepEqual(
    unreadable.map((u) => [u.seq, u.state]),
    [[damaged.seq, 'refused']],
  );
  assert.match(unreadable[0]!.damage, /^recording_json: /);
  assert.match(
    unreadable[0]!.problem ?? '',
    /stored contents cannot be read \(recording_json: .*damaged or edited outside Auscult/,
  );

  const base = ['site', 'outbox', '--db', fx.dbPath, '--data-dir', fx.dir, '--user', 'admin'];
  const list = auscult([...base, '--list']);
  assert.equal(list.code, 0, list.err);
  assert.match(list.out, new RegExp(`#${damaged.seq}  refused  saved .*UNREADABLE \\(recording_json: `));
  assert.match(list.out, /Do not retry; keep a copy of the outbox file/);
  const json = JSON.parse(auscult([...base, '--list', '--json']).out) as {
    items: unknown[];
    unreadable: { id: number }[];
  };
  assert.deepEqual([json.items.length, json.unreadable.map((u) => u.id)], [0, [damaged.seq]]);

  const retry = auscult([...base, '--retry', String(damaged.seq)]);
  assert.equal(retry.code, 1);
  assert.match(retry.err, /cannot be read .* discard it with --discard \d+ --reason "<why>"\. Nothing was changed\./);
  const refile = auscult([
    ...base,
    '--refile',
    String(damaged.seq),
    '--patient',
    'MRN-9',
    '--reason',
    'trying to re-file it',
  ]);
  assert.equal(refile.code, 1);
  assert.match(refile.err, /neither uploaded nor re-filed/);
  assert.equal(outbox.read().unreadable[0]!.state, 'refused', 'nothing changed');

  const discard = auscult([...base, '--discard', String(damaged.seq), '--reason', 'outbox.sqlite damaged; copy kept']);
  assert.equal(discard.code, 0, discard.err);
  assert.deepEqual(outbox.read(), { items: [], unreadable: [] });
  const [entry] = store.audit.list({ action: 'outbox.discard' }, 5, 0).items;
  assert.equal(entry!.objectId, damaged.intake_id);
  assert.match(String(entry!.details['damage']), /^recording_json: /);
  assert.equal(entry!.details['reason'], 'outbox.sqlite damaged; copy kept');
});
