/**
 * The PDF report, per recording or per patient visit (several recordings): patient, site, date,
 * device, signal quality, the spectrogram, the class probabilities as bars with numbers, the
 * per-patch timeline, findings and sign-off, the model card summary, and the disclaimer on every
 * page. Text uses DejaVu Sans (embedded, subset) so names in any Latin, Greek or Cyrillic script
 * print correctly; PDF's built-in Helvetica would only cover Western European letters.
 */
import { SIGNATURE_MEANING_TEXT, type SignatureMeaning } from '../common/signature-meanings.js';
import { createRequire } from 'node:module';
import PDFDocument from 'pdfkit';
import type { ExportFindingRow, ExportRecordingRow } from '../store/export-queries.js';
import { spectrogramPng, type LogMelFrames } from './spectrogram-png.js';
import { CLASS_COLORS, CLASS_LABELS, CLASS_ORDER, type ClassProbabilities } from '../common/classes.js';

type Probabilities = ClassProbabilities;

const require = createRequire(import.meta.url);
const FONT = require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf');
const FONT_BOLD = require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf');

/** The analysis fields a report shows (a subset of the stored AnalysisResult). */
export interface ReportAnalysis {
  probabilities: Probabilities;
  screen: { pAbnormal: number; label: 'abnormal' | 'healthy' | 'uncertain' };
  status: 'ok' | 'uncertain';
  statusReasons: string[];
  timeline: { startSec: number; endSec: number; probabilities: Probabilities }[];
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

/** Parses the stored analysis JSON (AnalysisResult) into what the report needs; null if unusable. */
export function reportAnalysisFromJson(json: string): ReportAnalysis | null {
  try {
    const a = JSON.parse(json) as Partial<ReportAnalysis> & { quality?: { verdict: string; reasons: string[] } };
    if (!a.probabilities || !a.screen) return null;
    return {
      probabilities: a.probabilities,
      screen: a.screen,
      status: a.status ?? 'ok',
      statusReasons: a.statusReasons ?? [],
      timeline: a.timeline ?? [],
      // The stored JSON is checked, not trusted: older rows may lack fields.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- see above
      quality: a.quality ? { verdict: a.quality.verdict, reasons: a.quality.reasons ?? [] } : null,
    };
  } catch {
    return null;
  }
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
  const width = doc.page.width - 2 * M;

  const first = input.recordings[0]!.row;
  header(doc, input, first, width);
  input.recordings.forEach((rec, i) => {
    if (i > 0) {
      doc.addPage();
      doc
        .font('bold')
        .fontSize(10)
        .fillColor(GREY)
        .text(`${first.familyName}, ${first.givenName} · MRN ${first.mrn} (continued)`, M, M);
      doc.moveDown(0.5);
    }
    recordingSection(doc, rec, i, input.recordings.length, width);
  });
  modelSection(doc, input.model, width);
  footers(doc, input.disclaimer, width);
  doc.end();
  return done;
}

function header(doc: PDFKit.PDFDocument, input: ReportInput, p: ExportRecordingRow, width: number): void {
  doc
    .font('bold')
    .fontSize(16)
    .fillColor('black')
    .text(input.kind === 'visit' ? 'Lung auscultation report — visit' : 'Lung auscultation report', M, M);
  doc
    .font('body')
    .fontSize(8)
    .fillColor(GREY)
    .text(`Generated ${fmtDate(input.generatedAt)} by ${input.generatedBy} · Auscult`, { width });
  doc.moveDown(0.6);
  const y = doc.y;
  doc.rect(M, y, width, 44).fillColor('#F2F4F7').fill();
  doc
    .fillColor('black')
    .font('bold')
    .fontSize(12)
    .text(`${p.familyName}, ${p.givenName}`, M + 8, y + 7, { width: width / 2 });
  doc
    .font('body')
    .fontSize(9)
    .text(`MRN ${p.mrn}`, M + 8, y + 25, { width: width / 2 });
  doc.text(`Born ${p.birthDate ?? 'unknown'} · Sex ${p.sex}`, M + width / 2, y + 9, {
    width: width / 2 - 8,
    align: 'right',
  });
  doc.text(`${input.recordings.length} recording${input.recordings.length === 1 ? '' : 's'}`, M + width / 2, y + 25, {
    width: width / 2 - 8,
    align: 'right',
  });
  doc.y = y + 54;
  doc.x = M;
}

function recordingSection(doc: PDFKit.PDFDocument, rec: ReportRecording, i: number, n: number, width: number): void {
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
    doc
      .fontSize(7)
      .fillColor(GREY)
      .text(
        'Log-mel spectrogram (YAMNet front end, 16 kHz): time left to right, pitch bottom to top, brighter = louder.',
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
    screenLine(doc, a, width);
    bars(doc, a.probabilities, width);
    if (a.timeline.length > 0) timeline(doc, a, width);
  }
  findings(doc, rec, width);
}

function niceStep(total: number): number {
  for (const s of [0.5, 1, 2, 5, 10, 15, 30, 60]) if (total / s <= 10) return s;
  return 120;
}

function screenLine(doc: PDFKit.PDFDocument, a: ReportAnalysis, width: number): void {
  const label =
    a.status === 'uncertain' || a.screen.label === 'uncertain'
      ? 'UNCERTAIN'
      : a.screen.label === 'abnormal'
        ? 'ABNORMAL'
        : 'HEALTHY';
  const colour = label === 'UNCERTAIN' ? '#7A5C00' : label === 'ABNORMAL' ? '#B00020' : '#1B6E3A';
  doc.font('bold').fontSize(11).fillColor(colour).text(`Screen: ${label}`, M, doc.y, { continued: true, width });
  doc
    .font('body')
    .fillColor('black')
    .text(`   probability the chest sounds abnormal ${pct(a.screen.pAbnormal)}`);
  if (a.statusReasons.length)
    doc
      .fontSize(8)
      .fillColor('#7A5C00')
      .text(`Why uncertain: ${a.statusReasons.join('; ')}`, { width });
  doc.moveDown(0.4);
}

function bars(doc: PDFKit.PDFDocument, p: Probabilities, width: number): void {
  doc
    .font('bold')
    .fontSize(9)
    .fillColor('black')
    .text('Class probabilities (five-way model; weaker than the screen)', M, doc.y, { width });
  const labelW = 95;
  const numW = 48;
  const barMax = width - labelW - numW - 8;
  let y = doc.y + 3;
  for (const c of CLASS_ORDER) {
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
    y += 14;
  }
  doc.x = M;
  doc.y = y + 4;
}

function timeline(doc: PDFKit.PDFDocument, a: ReportAnalysis, width: number): void {
  doc
    .font('bold')
    .fontSize(9)
    .fillColor('black')
    .text('Per-patch timeline (each 0.96 s patch, stacked class probabilities)', M, doc.y, { width });
  const y = doc.y + 3;
  const h = 42;
  const end = Math.max(...a.timeline.map((t) => t.endSec), 0.001);
  // Patches overlap by half; draw each over its own hop so columns tile the time axis.
  a.timeline.forEach((t, i) => {
    const next = a.timeline[i + 1];
    const x0 = M + (t.startSec / end) * width;
    const x1 = M + ((next ? next.startSec : t.endSec) / end) * width;
    let acc = 0;
    for (const c of CLASS_ORDER) {
      const v = Math.max(0, t.probabilities[c]);
      doc
        .rect(x0, y + h * (1 - acc - v), Math.max(0.6, x1 - x0), h * v)
        .fillColor(CLASS_COLORS[c])
        .fill();
      acc += v;
    }
  });
  doc.rect(M, y, width, h).lineWidth(0.5).strokeColor('#333333').stroke();
  doc.font('body').fontSize(6.5).fillColor(GREY);
  doc.text('0 s', M, y + h + 2, { lineBreak: false });
  doc.text(`${end.toFixed(1)} s`, M + width - 40, y + h + 2, { width: 40, align: 'right', lineBreak: false });
  let lx = M + 40;
  for (const c of CLASS_ORDER) {
    doc
      .rect(lx, y + h + 3, 7, 7)
      .fillColor(CLASS_COLORS[c])
      .fill();
    doc
      .fillColor('black')
      .fontSize(7)
      .text(CLASS_LABELS[c], lx + 9, y + h + 3, { lineBreak: false });
    lx += 80;
  }
  doc.x = M;
  doc.y = y + h + 16;
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
    doc.font('body').fontSize(9).text(f.text, { width });
    doc.moveDown(0.2);
  }
  doc.moveDown(0.2);
  if (r.signedAt) {
    const y = doc.y;
    doc
      .font('bold')
      .fontSize(9.5)
      .fillColor('#1B3A6E')
      .text(signedByLine(r, fmtDate(r.signedAt)), M + 8, y + 5, { width: width - 16 });
    doc
      .font('body')
      .fontSize(9)
      .fillColor('black')
      .text(signatureDetail(r), { width: width - 16 });
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
