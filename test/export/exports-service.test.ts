/**
 * exports.* through the real Workstation: real SQLite, real WAV files, real folders. Roles,
 * audit entries, every export kind, and the audit export verified against the database.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import wavefile from 'wavefile';
import { Store, hashPassword } from '../../src/store/index.js';
import { auditHashAt, auditSeqsForExport } from '../../src/store/export-queries.js';
import { Workstation, type CallContext } from '../../src/service/workstation.js';
import type { ApiError } from '../../src/service/errors.js';
import type { CommandName, ExportJob, ParamsOf, ResultOf, Role } from '../../src/service/api.js';
import { verifyAuditExport } from '../../src/export/audit-verify.js';
import { fhirR4Validator } from './fhir-schema.js';
import { scratchDir } from '../support/paths.js';
import { analysisFixture } from '../support/analysis-fixtures.js';
import { toNewAnalysis } from '../../src/service/recording-intake.js';
import { createAccount } from '../support/accounts.js';

const USERS: { username: string; role: Role }[] = [
  { username: 'doc', role: 'pulmonologist' },
  { username: 'aud', role: 'auditor' },
  { username: 'nurse', role: 'nurse' },
  { username: 'adm', role: 'admin' },
];
const PASSWORD = 'correct-horse-battery-1';

function wavBase64(seconds: number, rate = 4000): string {
  const n = Math.round(seconds * rate);
  const s = new Int16Array(n);
  for (let i = 0; i < n; i++)
    s[i] = Math.round(8000 * Math.sin((2 * Math.PI * 180 * i) / rate) * Math.sin((Math.PI * i) / n));
  const w = new wavefile.WaveFile();
  w.fromScratch(1, rate, '16', s);
  return Buffer.from(w.toBuffer()).toString('base64');
}

describe('exports through the workstation service', () => {
  let dir: string;
  let ws: Workstation;
  const tokens = new Map<string, string>();
  let patientId = 0;
  const recIds: number[] = [];

  const call = async <K extends CommandName>(user: string, method: K, params: ParamsOf<K>): Promise<ResultOf<K>> => {
    const ctx: CallContext = { sessionToken: tokens.get(user) ?? null, transport: 'cli' };
    return ws.call(ctx, method, params);
  };
  const refused = async (p: Promise<unknown>): Promise<string> => {
    try {
      await p;
    } catch (err) {
      return (err as ApiError).code;
    }
    assert.fail('expected the call to be refused');
  };
  const finish = async (user: string, job: ExportJob): Promise<ExportJob> => {
    for (let i = 0; i < 400; i++) {
      const s = await call(user, 'exports.status', { jobId: job.id });
      if (s.state !== 'running') return s;
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.fail('export did not finish');
  };

  before(async () => {
    dir = scratchDir('auscult-exports-');
    const dbPath = join(dir, 'auscult.sqlite');
    const store = Store.open(dbPath);
    for (const u of USERS) {
      const passwordHash = await hashPassword(PASSWORD);
      store.tx(() =>
        createAccount(store, { username: u.username, displayName: u.username, role: u.role, passwordHash }),
      );
    }
    store.close();
    ws = await Workstation.open({ dbPath, dataDir: join(dir, 'data'), engine: null });
    for (const u of USERS)
      tokens.set(
        u.username,
        (
          await ws.call({ sessionToken: null, transport: 'cli' }, 'auth.signIn', {
            username: u.username,
            password: PASSWORD,
          })
        ).token,
      );
    // A patient whose MRN and name would be dangerous as file names.
    const p = await call('doc', 'patients.create', {
      mrn: '../../CON',
      givenName: 'Zoë',
      familyName: 'Ab/ba',
      birthDate: '1960-02-03',
      sex: 'female',
    });
    patientId = p.id;
    for (const site of ['trachea', 'posterior-left-lower'] as const) {
      const d = await call('doc', 'recordings.import', {
        patientId,
        site,
        fileName: `${site}.wav`,
        wavBase64: wavBase64(3),
      });
      recIds.push(d.recording.id);
    }
    // engine: null stores no analysis; add one for the first recording through the real store.
    const probs = { asthma: 0.1, copd: 0.55, pneumonia: 0.1, healthy: 0.15, bronchial: 0.1 };
    // A current (gated, engine 2.0.0) analysis of the contract's shape, with this test's figures.
    const result = {
      ...analysisFixture('ok'),
      probabilities: probs,
      topClass: 'copd' as const,
      screen: { pAbnormal: 0.85, label: 'abnormal' as const, threshold: 0.742 },
    };
    const deps = ws.internals;
    deps.store.tx(() => deps.store.recordings.addAnalysis(recIds[0]!, toNewAnalysis(result)));
    await call('doc', 'findings.add', { recordingId: recIds[0]!, text: 'Wheeze, both bases.', label: 'copd' });
    await call('doc', 'recordings.sign', {
      recordingId: recIds[0]!,
      label: 'copd',
      statement: 'COPD pattern.',
      meaning: 'reviewed-agree',
      password: PASSWORD,
    });
  });
  after(async () => {
    await ws?.close();
  });

  test('roles: who may export what', async () => {
    const dest = join(dir, 'refused');
    mkdirSync(dest);
    assert.equal(
      await refused(call('nurse', 'exports.start', { kind: 'analyses', scope: {}, destinationDir: dest })),
      'FORBIDDEN',
    );
    assert.equal(
      await refused(call('adm', 'exports.start', { kind: 'analyses', scope: {}, destinationDir: dest })),
      'FORBIDDEN',
    );
    assert.equal(
      await refused(call('doc', 'exports.start', { kind: 'audit-history', scope: {}, destinationDir: dest })),
      'FORBIDDEN',
    );
    assert.equal(
      await refused(call('aud', 'exports.start', { kind: 'fhir', scope: {}, destinationDir: dest })),
      'FORBIDDEN',
    );
    assert.equal(
      await refused(call('aud', 'exports.start', { kind: 'recordings', scope: {}, destinationDir: dest })),
      'FORBIDDEN',
    );
    assert.equal(
      await refused(call('aud', 'exports.start', { kind: 'analyses', scope: {}, destinationDir: 'relative/path' })),
      'INVALID_INPUT',
    );
    assert.equal(
      await refused(
        call('aud', 'exports.start', { kind: 'analyses', scope: {}, destinationDir: join(dir, 'missing') }),
      ),
      'STORAGE',
    );
    assert.equal(
      await refused(
        call('aud', 'exports.start', { kind: 'analyses', scope: { patientId: 999 }, destinationDir: dest }),
      ),
      'NOT_FOUND',
    );
    assert.deepEqual(readdirSync(dest), [], 'a refused export writes nothing');
  });

  test('every kind exports into the chosen folder under safe names, with manifests and audit entries', async () => {
    const dest = join(dir, 'out');
    mkdirSync(dest);
    const jobs: Record<string, ExportJob> = {};
    jobs['analyses'] = await finish(
      'aud',
      await call('aud', 'exports.start', {
        kind: 'analyses',
        scope: {},
        options: { csvBom: true },
        destinationDir: dest,
      }),
    );
    jobs['pdf'] = await finish(
      'doc',
      await call('doc', 'exports.start', { kind: 'pdf', scope: { patientId }, destinationDir: dest }),
    );
    jobs['fhir'] = await finish(
      'doc',
      await call('doc', 'exports.start', { kind: 'fhir', scope: { recordingId: recIds[0]! }, destinationDir: dest }),
    );
    jobs['zip'] = await finish(
      'doc',
      await call('doc', 'exports.start', {
        kind: 'recordings',
        scope: { patientId },
        options: { zip: true },
        destinationDir: dest,
      }),
    );
    jobs['folder'] = await finish(
      'doc',
      await call('doc', 'exports.start', { kind: 'recordings', scope: {}, destinationDir: dest }),
    );
    for (const [k, j] of Object.entries(jobs)) {
      assert.equal(j.state, 'done', `${k}: ${j.error}`);
      assert.ok(j.destination.startsWith(dest + '/'), `${k} stays in the chosen folder`);
      const own = j.destination.slice(dest.length + 1);
      assert.ok(!own.includes('/') && !own.startsWith('.') && !own.includes('..'), `${k}: unsafe name ${own}`);
      for (const f of j.files)
        assert.ok(
          existsSync(j.files.length === 1 && k === 'zip' ? j.destination : join(j.destination, f.name)),
          `${k}/${f.name} exists`,
        );
    }
    // Nothing but the final names in the destination (no temp files left behind).
    assert.equal(readdirSync(dest).filter((n) => n.startsWith('.')).length, 0);
    const csv = readFileSync(join(jobs['analyses'].destination, 'analyses.csv'), 'utf8');
    assert.ok(csv.startsWith('\ufeffrecording_id,'));
    assert.equal(csv.trimEnd().split('\r\n').length, 3);
    assert.match(csv, /,0\.55,/);
    const pdfName = jobs['pdf'].files.find((f) => f.name.endsWith('.pdf'))!.name;
    assert.ok(!pdfName.includes('/') && !pdfName.startsWith('.'), pdfName);
    assert.ok(readFileSync(join(jobs['pdf'].destination, pdfName)).subarray(0, 5).toString() === '%PDF-');
    const bundleFile = jobs['fhir'].files.find((f) => f.name.endsWith('.json') && f.name !== 'manifest.json')!;
    const bundle = JSON.parse(readFileSync(join(jobs['fhir'].destination, bundleFile.name), 'utf8')) as {
      entry: { resource: { resourceType: string } }[];
    };
    assert.equal(fhirR4Validator()(bundle), true, JSON.stringify(fhirR4Validator().errors?.slice(0, 3)));
    assert.equal(bundle.entry.filter((e) => e.resource.resourceType === 'Media').length, 1);
    assert.equal(
      jobs['folder'].files.filter((f) => f.name.startsWith('recordings/') && f.name.endsWith('.wav')).length,
      2,
    );

    // Downloads are limited to the job's own files and its owner.
    const dl = await call('aud', 'exports.download', { jobId: jobs['analyses'].id, file: 'analyses.csv' });
    assert.equal(Buffer.from(dl.base64, 'base64').toString('utf8'), csv);
    assert.equal(
      await refused(call('aud', 'exports.download', { jobId: jobs['analyses'].id, file: '../auscult.sqlite' })),
      'NOT_FOUND',
    );
    assert.equal(await refused(call('doc', 'exports.status', { jobId: jobs['analyses'].id })), 'NOT_FOUND');
    assert.equal((await call('doc', 'exports.list', {})).length, 4);

    const log = ws.internals.store.audit.list({ action: 'export' }, 100, 0).items;
    assert.equal(log.filter((e) => e.action === 'export.start').length, 5);
    assert.equal(log.filter((e) => e.action === 'export.done').length, 5);
    const done = log.find((e) => e.action === 'export.done' && e.objectId === jobs['pdf']!.id)!;
    assert.equal(
      done.details['patientId'] ??
        log.find((e) => e.action === 'export.start' && e.objectId === jobs['pdf']!.id)!.details['patientId'],
      patientId,
    );
  });

  test('the audit history exports and verifies against the database; the export itself is audited', async () => {
    const dest = join(dir, 'audit');
    mkdirSync(dest);
    const job = await finish(
      'aud',
      await call('aud', 'exports.start', { kind: 'audit-history', scope: {}, destinationDir: dest }),
    );
    assert.equal(job.state, 'done', job.error ?? '');
    const db = ws.internals.store.db;
    const v = await verifyAuditExport(job.destination, {
      db: { hashAt: (s) => auditHashAt(db, s), seqsInScope: (sc, upto) => auditSeqsForExport(db, sc, upto) },
    });
    assert.equal(v.ok, true, JSON.stringify(v.firstBad));
    const actions = readFileSync(join(job.destination, 'audit-history.jsonl'), 'utf8');
    for (const a of [
      'auth.login',
      'patient.create',
      'recording.create',
      'recording.sign',
      'export.start',
      'export.done',
    ])
      assert.ok(actions.includes(`"action":"${a}"`), a);
    const pjob = await finish(
      'aud',
      await call('aud', 'exports.start', { kind: 'audit-history', scope: { patientId }, destinationDir: dest }),
    );
    const pv = await verifyAuditExport(pjob.destination, {
      db: { hashAt: (s) => auditHashAt(db, s), seqsInScope: (sc, upto) => auditSeqsForExport(db, sc, upto) },
    });
    assert.equal(pv.ok, true, JSON.stringify(pv.firstBad));
    assert.ok(pv.entries >= 6 && pv.entries < v.entries, `${pv.entries} of ${v.entries}`);
    const done = ws.internals.store.audit.list({ action: 'export.done', objectId: job.id }, 1, 0).items[0]!;
    assert.equal((done.details['chainHead'] as { seq: number }).seq, v.manifest!.chainHead.seq);
    assert.equal(done.details['manifestSha256'], job.files.find((f) => f.name === 'manifest.json')!.sha256);
  });
});
