/**
 * One status everywhere (issue 11 §2): for recordings whose current analysis is ok, uncertain,
 * withheld, by an earlier engine, or missing, the review queue, the recording page
 * (recordings.get), the PDF report, the FHIR bundle and the analyses CSV — each produced by the
 * real service on a real SQLite file and real WAVs — say the same thing, and none of the last three
 * carries a figure for a withheld or earlier-engine analysis.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandName, ExportJob, ParamsOf, ResultOf, ResultState } from '../../src/service/api.js';
import type { CallContext } from '../../src/service/workstation.js';
import { parseCsv } from '../../src/common/csv.js';
import { analysisFixture, earlierEngineAnalysis, newAnalysisFixture } from '../support/analysis-fixtures.js';
import { openFixture, wavBytes, type Fixture } from './helpers.js';

const KINDS = ['ok', 'uncertain', 'withheld', 'earlier-engine', 'none'] as const satisfies readonly ResultState[];

let fx: Fixture;
let cli: CallContext;
const ids = new Map<ResultState, number>();
const call = <K extends CommandName>(method: K, params: ParamsOf<K>): Promise<ResultOf<K>> =>
  fx.ws.call(cli, method, params);

async function finish(job: ExportJob): Promise<ExportJob> {
  for (let i = 0; i < 600; i++) {
    const s = await call('exports.status', { jobId: job.id });
    if (s.state !== 'running') {
      assert.equal(s.state, 'done', s.error ?? '');
      return s;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail('export did not finish');
}

before(async () => {
  fx = await openFixture();
  cli = { sessionToken: fx.ws.signInLocal('pulmonologist', 'cli'), transport: 'cli' };
  const p = await call('patients.create', { mrn: 'AGREE-1', givenName: 'Ada', familyName: 'Agree' });
  const store = fx.ws.internals.store;
  for (const kind of KINDS) {
    const d = await call('recordings.import', {
      patientId: p.id,
      site: 'trachea',
      fileName: `${kind}.wav`,
      wavBase64: wavBytes({ seconds: 12 }).toString('base64'),
    });
    ids.set(kind, d.recording.id);
    if (kind === 'none') continue;
    const a =
      kind === 'earlier-engine'
        ? earlierEngineAnalysis()
        : newAnalysisFixture(kind === 'ok' ? 'ok' : kind === 'uncertain' ? 'uncertain' : 'withheld');
    store.tx(() => store.recordings.addAnalysis(d.recording.id, a));
  }
});
after(async () => {
  await fx.ws.close();
});

function pdfState(text: string): ResultState {
  if (/No result: the analysis was withheld/.test(text)) return 'withheld';
  if (/Analysed by an earlier engine/.test(text)) return 'earlier-engine';
  if (/No analysis:/.test(text)) return 'none';
  if (/Screen: UNCERTAIN/.test(text)) return 'uncertain';
  if (/Screen: (ABNORMAL|HEALTHY)/.test(text)) return 'ok';
  assert.fail(`no status in the PDF: ${text.slice(0, 400)}`);
}

interface Obs {
  id: string;
  valueQuantity?: unknown;
  dataAbsentReason?: unknown;
  interpretation?: { coding: { code: string }[] }[];
}
function fhirState(bundle: { entry: { resource: { resourceType: string; id: string } }[] }, id: number): ResultState {
  const screen = bundle.entry.find((e) => e.resource.id === `rec-${id}-screen`)?.resource as Obs | undefined;
  if (!screen) return 'none';
  const code = screen.interpretation?.[0]?.coding[0]?.code ?? '';
  if (screen.dataAbsentReason) return code.replace(/^result-/, '') as ResultState;
  assert.ok(screen.valueQuantity, 'a screen Observation has a value or a dataAbsentReason');
  return code === 'screen-uncertain' ? 'uncertain' : 'ok';
}

test('queue, page, PDF, FHIR and CSV agree on ok, uncertain, withheld, earlier-engine and none', async () => {
  const queue = await call('recordings.reviewQueue', { limit: 50 });
  const dest = join(fx.dir, 'out');
  mkdirSync(dest);
  const csvJob = await finish(await call('exports.start', { kind: 'analyses', scope: {}, destinationDir: dest }));
  const csvFile = csvJob.files.find((f) => f.name.endsWith('.csv'));
  assert.ok(csvFile, 'the analyses export wrote a CSV');
  const [header, ...rows] = parseCsv(readFileSync(join(csvJob.destination, csvFile.name), 'utf8'));
  const col = (name: string): number => header!.indexOf(name);

  for (const kind of KINDS) {
    const id = ids.get(kind)!;
    const inQueue = queue.items.find((r) => r.id === id);
    assert.ok(inQueue, `recording ${id} is in the queue`);
    const page = await call('recordings.get', { id });

    const out = join(dest, kind);
    mkdirSync(out);
    const pdfJob = await finish(
      await call('exports.start', { kind: 'pdf', scope: { recordingId: id }, destinationDir: out }),
    );
    const pdf = pdfJob.files.find((f) => f.name.endsWith('.pdf'))!;
    const pdfText = execFileSync('pdftotext', ['-layout', join(pdfJob.destination, pdf.name), '-'], {
      encoding: 'utf8',
    });
    const fhirJob = await finish(
      await call('exports.start', { kind: 'fhir', scope: { recordingId: id }, destinationDir: out }),
    );
    const fhirFile = fhirJob.files.find((f) => f.name.endsWith('.json'))!;
    const bundleText = readFileSync(join(fhirJob.destination, fhirFile.name), 'utf8');
    const bundle = JSON.parse(bundleText) as Parameters<typeof fhirState>[0];
    const row = rows.find((r) => r[col('recording_id')] === String(id))!;

    const seen = {
      queue: inQueue.result,
      page: page.recording.result,
      pdf: pdfState(pdfText),
      fhir: fhirState(bundle, id),
      csv: row[col('result')],
    };
    assert.deepEqual(seen, { queue: kind, page: kind, pdf: kind, fhir: kind, csv: kind }, `recording of kind ${kind}`);

    if (kind === 'withheld' || kind === 'earlier-engine' || kind === 'none') {
      assert.equal(inQueue.pAbnormal, null);
      assert.equal(inQueue.topClass, null);
      assert.equal(inQueue.screenLabel, null);
      assert.equal(page.analysis?.screen ?? null, null);
      assert.equal(page.analysis?.probabilities ?? null, null);
      if (kind !== 'withheld') assert.equal(page.analysis, null, 'an earlier engine’s analysis is not handed out');
      assert.doesNotMatch(pdfText.split('About the model')[0]!, /\d %/, 'no percentage in the recording section');
      assert.ok(!bundleText.includes('valueQuantity'), 'no figure in FHIR');
      for (const c of ['p_abnormal', 'p_asthma', 'top_class', 'wheeze_probability'])
        assert.equal(row[col(c)], '', `CSV ${c} is empty`);
    } else {
      const expected = analysisFixture(kind);
      assert.equal(inQueue.pAbnormal, expected.screen!.pAbnormal);
      assert.equal(
        inQueue.screenLabel,
        page.analysis!.screen!.label,
        'the list and the page show the same screen label',
      );
      assert.equal(Number(row[col('p_abnormal')]), expected.screen!.pAbnormal);
      assert.equal(row[col('wheeze_present')], kind === 'ok' ? 'yes' : 'no');
    }
  }
  // The withheld row still says why.
  const withheldRow = rows.find((r) => r[col('recording_id')] === String(ids.get('withheld')))!;
  assert.equal(withheldRow[col('status_reasons')], 'this sounds like speech, not a chest recording');
});
