/**
 * `auscult site outbox` on a real site (PostgreSQL cluster) and a workstation whose forwarder has
 * refused two waiting recordings: one made for a patient id the site does not hold, one whose WAV
 * went missing from the recordings folder. An administrator lists them (each with what to do),
 * puts the WAV back and retries (uploaded once), discards the other with a reason (its WAV kept);
 * bad input and a nurse are refused with a sentence, and nothing changes; every use is audited.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Outbox } from '../../src/store/index.js';
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
function saveWaiting(fx: Fixture, outbox: Outbox, patientId: number, fileName: string): void {
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
      analysis: null,
      audit: [
        {
          at,
          username: 'nurse',
          action: 'recording.create',
          objectType: 'recording',
          objectId: null,
          transport: 'http',
          details: { intakeId },
        },
      ],
      afterSeq: null,
    },
    signing.signer,
    signing.dbId,
  );
}

test('[postgresql] site outbox: refused items listed with what to do; retry after the cause is fixed uploads once; discard needs a reason and keeps the WAV; admin only, audited', async (t) => {
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
  const recDir = deps.recordingsDir;
  saveWaiting(fx, outbox, 999_999, 'wrong-patient.wav');
  saveWaiting(fx, outbox, patient.id, 'moved-away.wav');
  renameSync(join(recDir, 'moved-away.wav'), join(recDir, 'moved-away.bak'));
  await until('both are refused', () => outbox.counts().refused === 2);
  const [wrong, moved] = outbox.all();
  const db = fx.dbPath;
  const base = ['site', 'outbox', '--db', db, '--data-dir', fx.dir];

  const list = auscult([...base, '--list', '--user', 'admin', '--json']);
  assert.equal(list.code, 0, list.err);
  const items = (JSON.parse(list.out) as { items: { id: number; state: string; mrn: string | null; why: string }[] })
    .items;
  assert.deepEqual(
    items.map((i) => [i.id, i.state, i.mrn]),
    [
      [wrong!.seq, 'refused', null],
      [moved!.seq, 'refused', 'MRN-7'],
    ],
  );
  assert.match(items[0]!.why, /no patient with id 999999.*discard this item with a reason and import the kept WAV/);
  assert.match(items[1]!.why, /no longer on this workstation\. Put the file back from a backup and retry/);
  const text = auscult([...base, '--user', 'admin']);
  assert.match(text.out, new RegExp(`#${wrong!.seq}  refused .*patient id 999999 \\(not on the site\\)`));

  // Refusals: one sentence each, nothing changed (the outbox and the site's chain as they were).
  const head = store.audit.head().seq;
  const refusals: [string[], number, RegExp][] = [
    [[...base, '--discard', String(wrong!.seq), '--user', 'admin'], 2, /at least 10 characters/],
    [[...base, '--discard', String(wrong!.seq), '--reason', 'too short', '--user', 'admin'], 2, /at least 10/],
    [[...base, '--discard', String(wrong!.seq), '--reason', 'line one\nline two!', '--user', 'admin'], 2, /one line/],
    [[...base, '--retry', '1;DROP', '--user', 'admin'], 2, /not an item id/],
    [[...base, '--retry', '4242', '--user', 'admin'], 1, /no item 4242/],
    [[...base, '--retry', '1', '--discard', '2', '--user', 'admin'], 2, /one of --list, --retry or --discard/],
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
  assert.equal(outbox.counts().refused, 2);
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
  await until('the retried item is uploaded', () => outbox.all().length === 1);
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
  assert.equal(outbox.all().length, 0);
  assert.equal(existsSync(join(recDir, 'wrong-patient.wav')), true, 'the WAV is kept');

  const entries = store.audit.list({ action: 'outbox' }, 50, 0).items;
  assert.deepEqual(
    entries.map((e) => e.action),
    ['outbox.discard', 'outbox.retry', 'outbox.list', 'outbox.list'],
  );
  assert.equal(entries[0]!.username, 'admin');
  assert.equal(entries[0]!.objectId, wrong!.intakeId);
  assert.equal(entries[0]!.details['reason'], 'patient id from a restored site copy; re-imported by hand');
  assert.match(String(entries[0]!.details['problem']), /no patient 999999/);
  // the CLI's own key (its data folder is the workstation's: the same key, approved by the fixture)
  assert.equal(approveSiteKeys(fx.site!.cluster, fx.site!.name), 0);
  const check = store.verifyAudit();
  assert.equal(check.ok, true, check.reason ?? '');
});
