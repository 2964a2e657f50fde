/**
 * The PDF report, per recording or per patient visit (several recordings): patient, site, date,
 * device, signal quality, the spectrogram with the evidence lane under it on the same time axis
 * (excluded audio, detected crackles and wheezes), the headline the one result state allows
 * (src/common/result-state.ts: the screen with its threshold and measured sensitivity/specificity;
 * for a withheld or earlier-engine analysis a sentence and no figure, no bar, no colour), the
 * five-class probabilities as a secondary line without the classes the model does not recognise,
 * findings and sign-off, the model card summary, and the disclaimer on every page. Text uses DejaVu Sans (embedded, subset) so names in any Latin, Greek or Cyrillic script
 * print correctly; PDF's built-in Helvetica would only cover Western European letters. Chinese,
 * Japanese and Korean text uses the machine's Noto Sans CJK (pdf-fonts.ts).
 */
import { SIGNATURE_MEANING_TEXT, type SignatureMeaning } from '../common/signature-meanings.js';
import { createRequire } from 'node:module';
import PDFDocument from 'pdfkit';
import { CJK_MISSING, cjkFont, needsCjk } from './pdf-fonts.js';
import type { ExportFindingRow, ExportRecordingRow } from '../store/export-queries.js';
import { spectrogramPng, type LogMelFrames } from './spectrogram-png.js';
import { CLASS_COLORS, CLASS_LABELS, CLASS_ORDER, type ClassProbabilities } from '../common/classes.js';
import { RESULT_STATE_SENTENCES, showsFigures, type ResultState } from '../common/result-state.js';
import type { ModelFacts } from '../common/model-facts.js';
import type { AnalysisResult, PatchExclusion, SoundEvent } from '../inference/analysis-types.js';

type Probabilities = ClassProbabilities;

const require = createRequire(import.meta.url);
const FONT = require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf');
const FONT_BOLD = require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf');

/** The analysis fields a report shows (from the stored AnalysisResult, as its result state allows). */
export interface ReportAnalysis {
  result: ResultState;
  statusReasons: string[];
  /** null unless result is 'ok' or 'uncertain' (and the same for every figure below). */
  screen: { pAbnormal: number; label: 'abnormal' | 'healthy' | 'uncertain'; threshold: number } | null;
  probabilities: Probabilities | null;
  /** Excluded stretches of audio and why (shown even when withheld: that is the evidence). */
  excluded: { startSec: number; endSec: number; reason: PatchExclusion }[];
  sounds: {
    crackle: boolean;
    wheeze: boolean;
    /** Recording-level probability of each type. */
    probability: { crackle: number; wheeze: number };
    events: SoundEvent[];
  } | null;
  quality: { verdict: string; reasons: string[] } | null;
}

export interface ReportRecording {
  row: ExportRecordingRow;
  analysis: ReportAnalysis | null;
  findings: ExportFindingRow[];
  spectrogram: (LogMelFrames & { hopSec: number; lowHz?: number; highHz?: number }) | null;
}

/** The model card, summarised by the service as plain lines. */
export interface ModelSummary {
  name: string;
  version: string;
  intendedUse: string;
  /** Measured figures as sentences, e.g. "Screen AUROC 0.84 (95 % CI 0.78–0.90), patient-level split". */
  figures: string[];
  limitations: string[];
  /** The figures beside each result (threshold, sensitivity/specificity, recognised classes). */
  facts: ModelFacts | null;
}

export interface ReportInput {
  kind: 'recording' | 'visit';
  recordings: ReportRecording[];
  model: ModelSummary | null;
  disclaimer: string;
  generatedAt: string;
  generatedBy: string;
}

const M = 42; // page margin (pt)
const GREY = '#555555';

/**
 * The stored analysis JSON (AnalysisResult) as the report needs it, given the result state the
 * store computed for it: figures only for 'ok' / 'uncertain'. null when the JSON is unreadable.
 */
export function reportAnalysisFromJson(json: string, result: ResultState): ReportAnalysis | null {
  let a: Partial<AnalysisResult>;
  try {
    a = JSON.parse(json) as Partial<AnalysisResult>;
  } catch {
    return null;
  }
  // The stored JSON is checked, not trusted: older rows lack fields.
  const figures = showsFigures(result) && a.screen && a.probabilities ? { screen: a.screen, p: a.probabilities } : null;
  const current = result !== 'earlier-engine' && result !== 'none';
  const excluded = current
    ? (a.patches ?? []).flatMap((p) =>
        p.excluded ? [{ startSec: p.startSec, endSec: p.endSec, reason: p.excluded }] : [],
      )
    : [];
  return {
    result: figures ? result : result === 'ok' || result === 'uncertain' ? 'earlier-engine' : result,
    statusReasons: current ? (a.statusReasons ?? []) : [],
    screen: figures ? figures.screen : null,
    probabilities: figures ? figures.p : null,
    excluded,
    sounds:
      figures && a.sounds
        ? {
            crackle: a.sounds.crackle.present,
            wheeze: a.sounds.wheeze.present,
            probability: { crackle: a.sounds.crackle.probability, wheeze: a.sounds.wheeze.probability },
            events: a.sounds.events,
          }
        : null,
    quality: a.quality ? { verdict: a.quality.verdict, reasons: a.quality.reasons } : null,
  };
}

function fmtDate(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}

const pct = (p: number): string => `${(p * 100).toFixed(1)} %`;

/** Renders the report to a PDF in memory (a visit is a few pages; images are small PNGs). */
export async function renderPdfReport(input: ReportInput): Promise<Buffer> {
  if (input.recordings.length === 0) throw new Error('a report needs at least one recording');
  const doc = new PDFDocument({
    size: 'A4',
    margin: M,
    bufferPages: true,
    info: { Title: 'Auscult lung auscultation report', Creator: 'Auscult' },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.registerFont('body', FONT);
  doc.registerFont('bold', FONT_BOLD);
  const cjk = cjkFont();
  if (cjk) {
    doc.registerFont('cjk', cjk.path, cjk.family);
    doc.registerFont(
      'cjk-bold',
      cjk.boldPath ?? cjk.path,
      cjk.boldPath ? cjk.family?.replace('Regular', 'Bold') : cjk.family,
    );
  }
  const width = doc.page.width - 2 * M;

  const first = input.recordings[0]!.row;
  header(doc, input, first, width);
  input.recordings.forEach((rec, i) => {
    if (i > 0) {
      doc.addPage();
      const line = `${first.familyName}, ${first.givenName} · MRN ${first.mrn} (continued)`;
      face(doc, line, true).fontSize(10).fillColor(GREY).text(line, M, M, { width });
      doc.moveDown(0.5);
    }
    recordingSection(doc, rec, i, input.recordings.length, width, input.model?.facts ?? null);
  });
  modelSection(doc, input.model, width);
  footers(doc, input.disclaimer, width);
  doc.end();
  return done;
}

/** DejaVu, or the CJK font for text DejaVu cannot print (when the machine has one). */
function face(doc: PDFKit.PDFDocument, text: string, bold: boolean): PDFKit.PDFDocument {
  const cjk = needsCjk(text) && cjkFont() !== null;
  return doc.font(cjk ? (bold ? 'cjk-bold' : 'cjk') : bold ? 'bold' : 'body');
}

/**
 * The title, then a box with the name on the left (wrapping: a 120-character name takes several
 * lines), the MRN under it, and birth date / sex / count on the right; the box grows with the name,
 * so nothing is ever printed over anything else (test/export/pdf-report.test.ts checks the boxes).
 */
function header(doc: PDFKit.PDFDocument, input: ReportInput, p: ExportRecordingRow, width: number): void {
  doc
    .font('bold')
    .fontSize(16)
    .fillColor('black')
    .text(input.kind === 'visit' ? 'Lung auscultation report — visit' : 'Lung auscultation report', M, M, { width });
  doc
    .font('body')
    .fontSize(8)
    .fillColor(GREY)
    .text(`Generated ${fmtDate(input.generatedAt)} by ${input.generatedBy} · Auscult`, M, doc.y, { width });
  doc.moveDown(0.6);
  const y = doc.y;
  const leftW = width * 0.62 - 16;
  const rightX = M + width * 0.62;
  const rightW = width * 0.38 - 8;
  const name = `${p.familyName}, ${p.givenName}`;
  const missing = needsCjk(name) && cjkFont() === null;
  face(doc, name, true).fontSize(12);
  const nameH = doc.heightOfString(name, { width: leftW });
  doc.font('body').fontSize(7.5);
  const noteH = missing ? doc.heightOfString(CJK_MISSING, { width: leftW }) + 2 : 0;
  const mrn = `MRN ${p.mrn}`;
  doc.font('body').fontSize(9);
  const mrnH = doc.heightOfString(mrn, { width: leftW });
  const boxH = Math.max(44, 7 + nameH + noteH + 3 + mrnH + 7);
  doc.rect(M, y, width, boxH).fillColor('#F2F4F7').fill();
  face(doc, name, true)
    .fontSize(12)
    .fillColor('black')
    .text(name, M + 8, y + 7, { width: leftW });
  if (missing)
    doc
      .font('body')
      .fontSize(7.5)
      .fillColor(GREY)
      .text(CJK_MISSING, M + 8, y + 7 + nameH + 1, { width: leftW });
  doc
    .font('body')
    .fontSize(9)
    .fillColor('black')
    .text(mrn, M + 8, y + 7 + nameH + noteH + 3, { width: leftW });
  doc.text(`Born ${p.birthDate ?? 'unknown'} · Sex ${p.sex}`, rightX, y + 9, { width: rightW, align: 'right' });
  doc.text(`${input.recordings.length} recording${input.recordings.length === 1 ? '' : 's'}`, rightX, y + 25, {
    width: rightW,
    align: 'right',
  });
  doc.y = y + boxH + 10;
  doc.x = M;
}

function recordingSection(
  doc: PDFKit.PDFDocument,
  rec: ReportRecording,
  i: number,
  n: number,
  width: number,
  facts: ModelFacts | null,
): void {
  const r = rec.row;
  const a = rec.analysis;
  doc
    .font('bold')
    .fontSize(12)
    .fillColor('black')
    .text(`${n > 1 ? `${i + 1}. ` : ''}${r.site.replace(/-/g, ' ')}`, M, doc.y, { width });
  doc.font('body').fontSize(9).fillColor('black');
  doc.text(
    `Recorded ${fmtDate(r.recordedAt)} by ${r.recordedBy} · ${r.durationSec.toFixed(1)} s at ${r.sampleRate} Hz · ${r.deviceName} · status ${r.status}`,
    { width },
  );
  const q = a?.quality ?? (r.quality ? { verdict: r.quality, reasons: [] } : null);
  doc.text(
    `Signal quality: ${q ? q.verdict : 'not assessed'}${q && q.reasons.length ? ` — ${q.reasons.join('; ')}` : ''}`,
    { width },
  );
  doc.moveDown(0.4);

  // Spectrogram with time and frequency labels.
  if (rec.spectrogram && rec.spectrogram.frames > 0) {
    const s = rec.spectrogram;
    const imgW = width - 34;
    const imgH = 105;
    const x = M + 30;
    const y = doc.y;
    doc.image(spectrogramPng(s, 1000, 192), x, y, { width: imgW, height: imgH });
    doc.rect(x, y, imgW, imgH).lineWidth(0.5).strokeColor('#333333').stroke();
    doc.font('body').fontSize(6.5).fillColor(GREY);
    doc.text(`${Math.round(s.highHz ?? 7500)} Hz`, M - 6, y, { width: 34, align: 'right', lineBreak: false });
    doc.text(`${Math.round(s.lowHz ?? 125)} Hz`, M - 6, y + imgH - 8, { width: 34, align: 'right', lineBreak: false });
    doc
      .save()
      .rotate(-90, { origin: [M + 6, y + imgH / 2] })
      .text('mel bands', M - 16, y + imgH / 2 - 3, { lineBreak: false })
      .restore();
    const totalSec = s.frames * s.hopSec;
    const step = niceStep(totalSec);
    for (let t = 0; t <= totalSec + 1e-9; t += step) {
      const tx = x + (t / totalSec) * imgW;
      doc
        .moveTo(tx, y + imgH)
        .lineTo(tx, y + imgH + 3)
        .strokeColor('#333333')
        .stroke();
      doc.text(`${t.toFixed(step < 1 ? 1 : 0)} s`, tx - 15, y + imgH + 4, {
        width: 30,
        align: 'center',
        lineBreak: false,
      });
    }
    doc.x = M;
    doc.y = y + imgH + 16;
    if (a) evidenceLane(doc, a, x, imgW, totalSec);
    doc
      .fontSize(7)
      .fillColor(GREY)
      .text(
        'Log-mel spectrogram (YAMNet front end, 16 kHz): time left to right, pitch bottom to top, brighter = louder.' +
          (a
            ? ' Under it, on the same time axis: audio the analysis left out, and detected crackles and wheezes.'
            : ''),
        M,
        doc.y,
        { width },
      );
    doc.moveDown(0.5);
  } else {
    doc.fontSize(8).fillColor(GREY).text('Spectrogram not available for this recording.', { width });
    doc.moveDown(0.4);
  }

  if (!a) {
    doc
      .font('bold')
      .fontSize(10)
      .fillColor('black')
      .text('No analysis: the recording was not analysed (see the workstation for the reason).', { width });
  } else {
    headline(doc, a, facts, width);
    if (a.probabilities) bars(doc, a.probabilities, facts, width);
    soundsLine(doc, a, r.durationSec, facts, width);
  }
  findings(doc, rec, width);
}

function niceStep(total: number): number {
  for (const s of [0.5, 1, 2, 5, 10, 15, 30, 60]) if (total / s <= 10) return s;
  return 120;
}

const EXCLUSION_WORDS: Record<PatchExclusion, string> = {
  speech: 'speech',
  music: 'music',
  noise: 'noise',
  'no-contact': 'no contact',
  unfamiliar: 'unfamiliar sound',
  'poor-quality': 'poor quality',
};

/** Under the spectrogram, same x scale: excluded audio (grey, with its reason), crackle and wheeze rows. */
function evidenceLane(doc: PDFKit.PDFDocument, a: ReportAnalysis, x: number, w: number, totalSec: number): void {
  const rowH = 9;
  const rows: Array<{ label: string; spans: { startSec: number; endSec: number }[]; colour: string }> = [
    { label: 'left out', spans: a.excluded, colour: '#9AA0A6' },
  ];
  if (a.sounds) {
    rows.push(
      { label: 'crackle', spans: a.sounds.events.filter((e) => e.type === 'crackle'), colour: '#D55E00' },
      { label: 'wheeze', spans: a.sounds.events.filter((e) => e.type === 'wheeze'), colour: '#0072B2' },
    );
  }
  let y = doc.y;
  const t = (sec: number): number => x + (Math.min(totalSec, Math.max(0, sec)) / Math.max(totalSec, 1e-3)) * w;
  for (const row of rows) {
    doc.rect(x, y, w, rowH).fillColor('#F4F5F7').fill();
    for (const s of row.spans)
      doc
        .rect(t(s.startSec), y + 1, Math.max(0.8, t(s.endSec) - t(s.startSec)), rowH - 2)
        .fillColor(row.colour)
        .fill();
    doc.rect(x, y, w, rowH).lineWidth(0.3).strokeColor('#999999').stroke();
    doc
      .font('body')
      .fontSize(6.5)
      .fillColor(GREY)
      .text(row.label, M - 8, y + 1.5, { width: 36, align: 'right', lineBreak: false });
    y += rowH + 2;
  }
  const reasons = [...new Set(a.excluded.map((e) => EXCLUSION_WORDS[e.reason]))];
  doc.x = M;
  doc.y = y + 1;
  doc
    .font('body')
    .fontSize(7)
    .fillColor(GREY)
    .text(
      a.excluded.length
        ? `Left out of the analysis: ${a.excluded.length} patch${a.excluded.length === 1 ? '' : 'es'} (${reasons.join(', ')}).`
        : 'No audio was left out of the analysis.',
      M,
      doc.y,
      { width: w + (x - M) },
    );
}

const f2 = (x: number): string => x.toFixed(2);

/** The headline: what the result state allows, never more. */
function headline(doc: PDFKit.PDFDocument, a: ReportAnalysis, facts: ModelFacts | null, width: number): void {
  doc.moveDown(0.3);
  if (!a.screen || a.result === 'withheld' || a.result === 'earlier-engine' || a.result === 'none') {
    // No figure, no bar, no colour.
    const sentence =
      a.result === 'withheld' ? RESULT_STATE_SENTENCES.withheld : RESULT_STATE_SENTENCES['earlier-engine'];
    doc.font('bold').fontSize(11).fillColor('black').text(sentence, M, doc.y, { width });
    if (a.statusReasons.length)
      doc
        .font('body')
        .fontSize(9)
        .text(`Why: ${a.statusReasons.join('; ')}.`, { width });
    doc.moveDown(0.4);
    return;
  }
  const uncertain = a.result === 'uncertain' || a.screen.label === 'uncertain';
  const label = uncertain ? 'UNCERTAIN' : a.screen.label === 'abnormal' ? 'ABNORMAL' : 'HEALTHY';
  const colour = uncertain ? '#7A5C00' : a.screen.label === 'abnormal' ? '#B00020' : '#1B6E3A';
  doc.font('bold').fontSize(11).fillColor(colour).text(`Screen: ${label}`, M, doc.y, { continued: true, width });
  doc
    .font('body')
    .fillColor('black')
    .text(`   probability the chest sounds abnormal ${pct(a.screen.pAbnormal)} (threshold ${pct(a.screen.threshold)})`);
  if (facts)
    doc
      .fontSize(8)
      .fillColor(GREY)
      .text(
        `Measured ${facts.screen.basis}: sensitivity ${f2(facts.screen.sensitivity.value)} (${f2(facts.screen.sensitivity.lo)}–${f2(facts.screen.sensitivity.hi)}), specificity ${f2(facts.screen.specificity.value)} (${f2(facts.screen.specificity.lo)}–${f2(facts.screen.specificity.hi)}).`,
        { width },
      );
  if (a.statusReasons.length)
    doc
      .fontSize(8)
      .fillColor('#7A5C00')
      .text(`${uncertain ? 'Why uncertain' : 'Note'}: ${a.statusReasons.join('; ')}`, { width });
  doc.moveDown(0.4);
}

function bars(doc: PDFKit.PDFDocument, p: Probabilities, facts: ModelFacts | null, width: number): void {
  const unrecognised = facts ? facts.classes.filter((c) => !c.recognised).map((c) => c.class) : [];
  const shown = CLASS_ORDER.filter((c) => !unrecognised.includes(c));
  doc
    .font('bold')
    .fontSize(9)
    .fillColor('black')
    .text(
      `Five-class probabilities (secondary: weaker than the screen${facts ? `, balanced accuracy ${f2(facts.balancedAccuracy.value)}` : ''})`,
      M,
      doc.y,
      { width },
    );
  const labelW = 95;
  const numW = 48;
  const recallW = 110;
  const barMax = width - labelW - numW - recallW - 8;
  let y = doc.y + 3;
  for (const c of shown) {
    doc
      .font('body')
      .fontSize(8.5)
      .fillColor('black')
      .text(CLASS_LABELS[c], M, y + 1, { width: labelW, lineBreak: false });
    doc
      .rect(M + labelW, y, barMax, 10)
      .fillColor('#EEEEEE')
      .fill();
    doc
      .rect(M + labelW, y, Math.max(0.5, barMax * Math.min(1, Math.max(0, p[c]))), 10)
      .fillColor(CLASS_COLORS[c])
      .fill();
    doc
      .fillColor('black')
      .text(pct(p[c]), M + labelW + barMax + 4, y + 1, { width: numW, align: 'right', lineBreak: false });
    const recall = facts?.classes.find((x) => x.class === c)?.recall;
    if (recall)
      doc
        .fillColor(GREY)
        .fontSize(7.5)
        .text(
          `recall ${f2(recall.value)} (${f2(recall.lo)}–${f2(recall.hi)})`,
          M + labelW + barMax + numW + 10,
          y + 1.5,
          {
            width: recallW - 10,
            lineBreak: false,
          },
        );
    y += 14;
  }
  doc.x = M;
  doc.y = y + 2;
  if (unrecognised.length)
    doc
      .font('body')
      .fontSize(8)
      .fillColor('black')
      .text(
        `This model does not recognise ${unrecognised.map((c) => CLASS_LABELS[c].toLowerCase()).join(' or ')} (out-of-fold recall 0): no probability is shown for ${unrecognised.length > 1 ? 'them' : 'it'}.`,
        M,
        doc.y,
        { width },
      );
  doc.moveDown(0.3);
}

/** "Wheeze in 4.3 of 20.0 s; no crackles detected", with the detector's measured figures. */
function soundsLine(
  doc: PDFKit.PDFDocument,
  a: ReportAnalysis,
  durationSec: number,
  facts: ModelFacts | null,
  width: number,
): void {
  if (!a.sounds) return;
  const covered = (t: 'crackle' | 'wheeze'): number =>
    a.sounds!.events.filter((e) => e.type === t).reduce((s, e) => s + e.endSec - e.startSec, 0);
  const part = (t: 'crackle' | 'wheeze', present: boolean): string =>
    present
      ? `${t === 'crackle' ? 'crackles' : 'wheeze'} in ${covered(t).toFixed(1)} of ${durationSec.toFixed(1)} s`
      : `no ${t === 'crackle' ? 'crackles' : 'wheeze'} detected`;
  const line = `${part('wheeze', a.sounds.wheeze)}; ${part('crackle', a.sounds.crackle)}.`;
  doc
    .font('bold')
    .fontSize(9)
    .fillColor('black')
    .text(`Adventitious sounds: ${line.charAt(0).toUpperCase()}${line.slice(1)}`, M, doc.y, { width });
  const figs = facts?.sounds?.types
    .map((t) => {
      const c = t.children;
      const ad = t.adults;
      const n = (v: number | null): string => (v === null ? '—' : f2(v));
      return `${t.type}: sensitivity ${n(c.sensitivity)} / specificity ${n(c.specificity)} in children${ad ? `, ${n(ad.sensitivity)} / ${n(ad.specificity)} in adults` : ''}`;
    })
    .join('; ');
  if (figs)
    doc.font('body').fontSize(7.5).fillColor(GREY).text(`Sound detector, measured per recording: ${figs}.`, { width });
  doc.moveDown(0.3);
}

function findings(doc: PDFKit.PDFDocument, rec: ReportRecording, width: number): void {
  const r = rec.row;
  doc.moveDown(0.3);
  doc.font('bold').fontSize(10).fillColor('black').text('Findings', M, doc.y, { width });
  if (rec.findings.length === 0) doc.font('body').fontSize(9).fillColor(GREY).text('No findings written.', { width });
  for (const f of rec.findings) {
    doc
      .font('bold')
      .fontSize(8.5)
      .fillColor('black')
      .text(
        `${f.isAmendment ? 'Amendment' : 'Finding'} by ${f.author} (${f.authorRole}), ${fmtDate(f.createdAt)}${f.label ? ` — label: ${f.label}` : ''}`,
        { width },
      );
    face(doc, f.text, false).fontSize(9).text(f.text, { width });
    doc.moveDown(0.2);
  }
  doc.moveDown(0.2);
  if (r.signedAt) {
    const y = doc.y;
    const by = signedByLine(r, fmtDate(r.signedAt));
    const detail = signatureDetail(r);
    face(doc, by, true)
      .fontSize(9.5)
      .fillColor('#1B3A6E')
      .text(by, M + 8, y + 5, { width: width - 16 });
    face(doc, detail, false)
      .fontSize(9)
      .fillColor('black')
      .text(detail, { width: width - 16 });
    const h = doc.y - y + 5;
    doc.rect(M, y, width, h).lineWidth(0.8).strokeColor('#1B3A6E').stroke();
    doc.x = M;
    doc.y = y + h + 6;
  } else {
    doc
      .font('bold')
      .fontSize(9.5)
      .fillColor('#7A5C00')
      .text('Not signed: preliminary, not reviewed by a pulmonologist.', M, doc.y, { width });
  }
}

function modelSection(doc: PDFKit.PDFDocument, model: ModelSummary | null, width: number): void {
  doc.moveDown(0.8);
  if (doc.y > doc.page.height - 200) doc.addPage();
  doc.font('bold').fontSize(10).fillColor('black').text('About the model', M, doc.y, { width });
  doc.font('body').fontSize(8).fillColor('black');
  if (!model) {
    doc.text('No model card was available when this report was made.', { width });
    return;
  }
  doc.text(`${model.name} ${model.version}. ${model.intendedUse}`, { width });
  for (const f of model.figures) doc.text(`• ${f}`, { width, indent: 6 });
  if (model.limitations.length) {
    doc.font('bold').text('Limitations', { width });
    doc.font('body');
    for (const l of model.limitations) doc.text(`• ${l}`, { width, indent: 6 });
  }
}

function footers(doc: PDFKit.PDFDocument, disclaimer: string, width: number): void {
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0; // writing inside the margin must not add a page
    const y = doc.page.height - 34;
    doc
      .moveTo(M, y - 4)
      .lineTo(M + width, y - 4)
      .lineWidth(0.4)
      .strokeColor('#999999')
      .stroke();
    doc
      .font('bold')
      .fontSize(7)
      .fillColor('#B00020')
      .text(disclaimer, M, y, { width: width - 50, lineBreak: true });
    doc
      .font('body')
      .fontSize(7)
      .fillColor(GREY)
      .text(`Page ${i - range.start + 1} of ${range.count}`, M + width - 50, y, {
        width: 50,
        align: 'right',
        lineBreak: false,
      });
    doc.page.margins.bottom = bottom;
  }
}

/** The electronic signature's printed full name, role, date and time (21 CFR 11.50). */
export function signedByLine(
  r: Pick<ExportRecordingRow, 'signedBy' | 'signerName' | 'signerRole'>,
  when: string,
): string {
  const who = r.signerName ? `${r.signerName} (${r.signerRole ?? 'pulmonologist'})` : (r.signedBy ?? 'unknown');
  return `Signed by ${who} on ${when}`;
}

/** Meaning, label and the signer's statement under the signed-by line. */
export function signatureDetail(r: Pick<ExportRecordingRow, 'signMeaning' | 'signLabel' | 'signStatement'>): string {
  const meaning =
    r.signMeaning && r.signMeaning in SIGNATURE_MEANING_TEXT
      ? SIGNATURE_MEANING_TEXT[r.signMeaning as SignatureMeaning]
      : 'signed before electronic signatures (no meaning recorded)';
  return `Meaning: ${meaning}. Label: ${r.signLabel ?? '-'}.\n${r.signStatement ?? ''}`;
}
