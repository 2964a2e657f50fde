import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import {
  renderPdfReport,
  reportAnalysisFromJson,
  type ReportInput,
  type ReportRecording,
} from '../../src/export/pdf-report.js';
import { ModelCardSchema } from '../../src/inference/model-card.js';
import { SoundsCardSchema } from '../../src/inference/sounds/card.js';
import { modelFacts } from '../../src/service/model-facts.js';
import { analysisFixture, type FixtureKind } from '../support/analysis-fixtures.js';
import { MODELS_DIR } from '../support/paths.js';
import { spectrogramPng, viridis } from '../../src/export/spectrogram-png.js';
import { scratchDir } from '../support/paths.js';
import { findingRows, recordingRow } from './fixtures.js';

const DISCLAIMER =
  'Decision support only, not a diagnosis. Probabilities come from a model with measured, limited accuracy; a clinician must interpret every recording.';

/** Breath-like log-mel frames: 4 s cycles of broadband noise with a wheeze line at band 40. */
function frames(seconds: number) {
  const n = Math.round(seconds * 100);
  const data = new Float32Array(n * 64);
  for (let f = 0; f < n; f++) {
    const breath = Math.max(0, Math.sin((2 * Math.PI * f) / 400));
    for (let b = 0; b < 64; b++) {
      const wheeze = b >= 39 && b <= 41 && breath > 0.5 ? 3 : 0;
      data[f * 64 + b] = -9 + 5 * breath * Math.exp(-b / 30) + wheeze + 0.3 * Math.sin(f * 12.9898 + b * 78.233);
    }
  }
  return { data, frames: n, bands: 64, hopSec: 0.01, lowHz: 125, highHz: 7500 };
}

/** The shipped cards' facts (real files): the figures the report quotes beside each result. */
export function shippedFacts() {
  const head = ModelCardSchema.parse(JSON.parse(readFileSync(join(MODELS_DIR, 'head.card.json'), 'utf8')));
  const sounds = SoundsCardSchema.parse(JSON.parse(readFileSync(join(MODELS_DIR, 'sounds.card.json'), 'utf8')));
  return modelFacts(head, sounds);
}

function rec(over: Parameters<typeof recordingRow>[0], kind: FixtureKind | 'none' | 'earlier'): ReportRecording {
  const result = analysisFixture(
    kind === 'none' || kind === 'earlier' ? 'ok' : kind,
    kind === 'earlier' ? '1.0.0' : '2.0.0',
  );
  const row = recordingRow(over);
  const state = kind === 'none' ? 'none' : kind === 'earlier' ? 'earlier-engine' : kind;
  return {
    row: kind === 'none' ? { ...row, analysis: null } : row,
    analysis: kind === 'none' ? null : reportAnalysisFromJson(JSON.stringify(result), state),
    findings: row.signedAt ? findingRows(row.id) : [],
    spectrogram: frames(row.durationSec),
  };
}

const unsigned = { signedAt: null, signedBy: null, signLabel: null, signStatement: null };

export function sampleReport(): ReportInput {
  return {
    kind: 'visit',
    recordings: [
      rec({ durationSec: 12 }, 'ok'),
      rec({ id: 42, site: 'anterior-right-upper', durationSec: 12, quality: 'fair', ...unsigned }, 'uncertain'),
      rec({ id: 44, site: 'anterior-left-upper', durationSec: 12, ...unsigned }, 'withheld'),
      rec({ id: 45, site: 'anterior-left-middle', durationSec: 12, ...unsigned }, 'earlier'),
      rec({ id: 43, site: 'trachea', durationSec: 3, ...unsigned }, 'none'),
    ],
    model: {
      name: 'kauh-head',
      version: '1.2.0',
      intendedUse: 'Decision support for clinicians auscultating adults; not for screening without a clinician.',
      figures: [
        'Healthy-vs-abnormal screen AUROC 0.84 (95 % CI 0.78–0.90), patient-level split, 112 patients.',
        'Five-class macro-F1 0.41 (95 % CI 0.33–0.49).',
      ],
      limitations: ['Trained on one hospital’s recordings (KAUH, Jordan).', 'Children were not in the training data.'],
      facts: shippedFacts(),
    },
    disclaimer: DISCLAIMER,
    generatedAt: '2026-11-25T12:00:00.000Z',
    generatedBy: 'dr.haddad',
  };
}

const havePoppler = existsSync('/usr/bin/pdftoppm') && existsSync('/usr/bin/pdftotext');

test(
  'the visit report renders: text, pages, and a picture (pdftoppm)',
  { skip: havePoppler ? false : 'poppler-utils (pdftoppm, pdftotext) not installed' },
  async () => {
    const dir = scratchDir('auscult-pdf-');
    const pdf = await renderPdfReport(sampleReport());
    assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
    const path = join(dir, 'report.pdf');
    writeFileSync(path, pdf);
    const text = execFileSync('pdftotext', ['-layout', path, '-'], { encoding: 'utf8' });
    for (const s of [
      "O'Neil, Zoë",
      'MRN MRN-0007',
      'posterior left lower',
      'Screen: ABNORMAL',
      'threshold 74.2 %',
      'Measured for one analysis of one recording',
      'Asthma',
      '52.0 %',
      'This model does not recognise pneumonia or bronchial disease',
      'Adventitious sounds: Wheeze in 4.3 of 12.0 s; no crackles detected.',
      'Sound detector, measured per recording: crackle: sensitivity',
      'Screen: UNCERTAIN',
      'No result: the analysis was withheld.',
      'Why: this sounds like speech, not a chest recording.',
      'Analysed by an earlier engine: re-analyse to get a result.',
      // The electronic signature: printed full name, role, meaning (21 CFR 11.50).
      'Signed by Dr Sami Haddad (pulmonologist)',
      'Meaning: Reviewed; I agree with the analysis',
      'Not signed: preliminary',
      'No analysis',
      'About the model',
      'AUROC 0.84',
      'Page 1 of',
    ]) {
      assert.ok(text.includes(s), `report text lacks "${s}"`);
    }
    const pages = Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [path], { encoding: 'utf8' }))![1]);
    assert.ok(pages >= 5, `one page per recording at least (got ${pages})`);
    // The withheld recording (3rd) and the earlier engine's (4th) have pages of their own: not one
    // figure on them — no percentage, no probability, no screen word.
    for (const page of [3, 4]) {
      const t = execFileSync('pdftotext', ['-f', String(page), '-l', String(page), '-layout', path, '-'], {
        encoding: 'utf8',
      });
      assert.ok(/withheld|earlier engine/.test(t), `page ${page} is the withheld / earlier-engine recording`);
      assert.doesNotMatch(
        t,
        /%|Screen:|ABNORMAL|HEALTHY|probabilit|Asthma|COPD|[Ww]heeze in|crackles in/,
        `page ${page}`,
      );
    }
    assert.equal(
      text.split('Decision support only, not a diagnosis').length - 1,
      pages,
      'the disclaimer is on every page',
    );
    execFileSync('pdftoppm', ['-png', '-r', '60', path, join(dir, 'page')]);
    const png = PNG.sync.read(execFileSync('cat', [join(dir, pages >= 10 ? 'page-01.png' : 'page-1.png')]));
    // The spectrogram is on page 1: some pixels are viridis yellow-green, not just black text on white.
    let colorful = 0;
    for (let i = 0; i < png.data.length; i += 4)
      if (png.data[i + 1]! > 150 && png.data[i + 2]! < 110 && png.data[i]! < 200) colorful++;
    assert.ok(colorful > 200, `page 1 shows the spectrogram (${colorful} coloured pixels)`);
    if (process.env['AUSCULT_KEEP_PDF']) console.log(`report pages in ${dir}`);
  },
);

test('spectrogram PNG: size, colour map ends, low bands at the bottom', () => {
  const s = { data: new Float32Array(100 * 64), frames: 100, bands: 64 };
  for (let f = 0; f < 100; f++) s.data[f * 64 + 0] = 10; // only the lowest band is loud
  const png = PNG.sync.read(spectrogramPng(s, 200, 64));
  assert.equal(png.width, 200);
  assert.equal(png.height, 64);
  const px = (x: number, y: number) => [...png.data.subarray((y * 200 + x) * 4, (y * 200 + x) * 4 + 3)];
  assert.deepEqual(px(50, 63), viridis(1), 'bottom row = loud = yellow');
  assert.deepEqual(px(50, 0), viridis(0), 'top row = quiet = purple');
  assert.throws(() => spectrogramPng({ data: new Float32Array(10), frames: 100, bands: 64 }));
});

// In CI a missing poppler is a failure, not a skip (house rule); on a developer machine a skip.
const popplerOrCi = havePoppler || process.env['AUSCULT_CI'] === '1' ? false : 'poppler-utils not installed';

interface WordBox {
  text: string;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}
function wordBoxes(pdfPath: string, page: number): WordBox[] {
  const html = execFileSync('pdftotext', ['-bbox', '-f', String(page), '-l', String(page), pdfPath, '-'], {
    encoding: 'utf8',
  });
  const out: WordBox[] = [];
  for (const m of html.matchAll(
    /<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<\/word>/g,
  ))
    out.push({ x0: Number(m[1]), y0: Number(m[2]), x1: Number(m[3]), y1: Number(m[4]), text: m[5]! });
  return out;
}
const overlap = (a: WordBox, b: WordBox): number =>
  Math.max(0, Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0)) * Math.max(0, Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0));

function oneRecordingReport(givenName: string, familyName: string): ReportInput {
  const r = sampleReport();
  const first = r.recordings[0]!;
  return { ...r, kind: 'recording', recordings: [{ ...first, row: { ...first.row, givenName, familyName } }] };
}

test(
  'a 120-character patient name wraps: no two text boxes of the header overlap (pdftotext -bbox)',
  { skip: popplerOrCi },
  async () => {
    const familyName = 'Al-Abdulrahman Bin Khalid Al-Hashimi Al-Qurashi Abu Bakr';
    const givenName = 'Mohammed Abdullah Ibrahim Yousef Ahmad Hassan Omar Faisal Tari';
    const name = `${familyName}, ${givenName}`;
    assert.equal(name.length, 120, 'the fixture name is 120 characters');
    const dir = scratchDir('auscult-pdf-long-');
    const path = join(dir, 'long-name.pdf');
    writeFileSync(path, await renderPdfReport(oneRecordingReport(givenName, familyName)));
    const words = wordBoxes(path, 1);
    const mrn = words.find((w) => w.text === 'MRN-0007');
    assert.ok(mrn, 'the MRN is printed as one readable word');
    // The header: every word from the title down to the MRN's line.
    const header = words.filter((w) => w.y0 <= mrn.y1);
    assert.ok(
      header.some((w) => w.text === 'Lung'),
      'the title is in the header',
    );
    assert.ok(header.filter((w) => w.text === 'Al-Hashimi').length === 1, 'the whole name is in the header');
    for (let i = 0; i < header.length; i++)
      for (let j = i + 1; j < header.length; j++) {
        const a = header[i]!;
        const b = header[j]!;
        assert.ok(overlap(a, b) < 0.5, `“${a.text}” and “${b.text}” overlap in the header`);
      }
    // The name needed more than one line, and the MRN is below all of it.
    const nameWords = header.filter((w) => name.split(/[ ,]+/).includes(w.text.replace(/,$/, '')));
    assert.ok(new Set(nameWords.map((w) => Math.round(w.y0))).size >= 2, 'the name wraps onto a second line');
    assert.ok(
      nameWords.every((w) => w.y1 <= mrn.y0 + 0.5),
      'the MRN is under the name, not over it',
    );
  },
);

test('a CJK name prints in an embedded CJK font (pdffonts, pdftotext)', { skip: popplerOrCi }, async () => {
  const dir = scratchDir('auscult-pdf-cjk-');
  const path = join(dir, 'cjk.pdf');
  writeFileSync(path, await renderPdfReport(oneRecordingReport('小明', '王')));
  const fonts = execFileSync('pdffonts', [path], { encoding: 'utf8' });
  assert.match(fonts, /NotoSansCJK/, 'Noto Sans CJK is embedded (install fonts-noto-cjk)');
  const text = execFileSync('pdftotext', ['-f', '1', '-l', '1', path, '-'], { encoding: 'utf8' });
  assert.ok(text.includes('王, 小明'), 'the name reads back as written');
  assert.ok(!text.includes('cannot be printed'), 'no missing-font sentence when the font is there');
});
