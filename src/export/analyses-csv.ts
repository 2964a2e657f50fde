/**
 * The analyses CSV: one row per recording with its patient, site, device, quality, the result
 * state (src/common/result-state.ts) and status reasons, the five class probabilities, the
 * screen, crackle/wheeze presence, model versions and sign-off. Every figure is empty unless the
 * result is 'ok' or 'uncertain': a withheld analysis has none, an earlier engine's was never gated. Streams from the store's
 * batched query; the same writer makes the recordings export's index.csv.
 */
import type { ExportRecordingRow } from '../store/export-queries.js';
import { csvRow, UTF8_BOM } from './csv.js';
import { throwIfCancelled } from './errors.js';
import type { FileSink } from './file-sink.js';

export const ANALYSES_COLUMNS = [
  'recording_id',
  'patient_mrn',
  'family_name',
  'given_name',
  'birth_date',
  'sex',
  'site',
  'recorded_at',
  'recorded_by',
  'device',
  'sample_rate',
  'duration_sec',
  'status',
  'quality',
  'result',
  'analysis_status',
  'status_reasons',
  'top_class',
  'p_asthma',
  'p_copd',
  'p_pneumonia',
  'p_healthy',
  'p_bronchial',
  'p_abnormal',
  'crackle_present',
  'crackle_probability',
  'wheeze_present',
  'wheeze_probability',
  'engine_version',
  'head',
  'analysed_at',
  'signed_at',
  'signed_by',
  'signed_label',
  'wav_file',
  'wav_sha256',
] as const;

const presentText = (p: boolean | undefined): string | null => (p === undefined ? null : p ? 'yes' : 'no');

export function analysesCsvRow(r: ExportRecordingRow, wavFile: string | null = null): string {
  const a = r.analysis;
  return csvRow([
    r.id,
    r.mrn,
    r.familyName,
    r.givenName,
    r.birthDate,
    r.sex,
    r.site,
    r.recordedAt,
    r.recordedBy,
    r.deviceName,
    r.sampleRate,
    r.durationSec,
    r.status,
    r.quality,
    a?.result ?? 'none',
    a?.status ?? null,
    a ? a.statusReasons.join('; ') : null,
    a?.topClass ?? null,
    a?.probabilities?.asthma,
    a?.probabilities?.copd,
    a?.probabilities?.pneumonia,
    a?.probabilities?.healthy,
    a?.probabilities?.bronchial,
    a?.pAbnormal,
    presentText(a?.sounds?.crackle.present),
    a?.sounds?.crackle.probability,
    presentText(a?.sounds?.wheeze.present),
    a?.sounds?.wheeze.probability,
    a?.engineVersion,
    a ? `${a.headName} ${a.headVersion}` : null,
    a?.createdAt,
    r.signedAt,
    r.signedBy,
    r.signLabel,
    wavFile ?? r.fileName,
    r.wavSha256,
  ]);
}

/** Writes header + rows into `sink` (not committed: the caller does). Returns the row count. */
export async function writeAnalysesCsv(
  sink: FileSink,
  rows: Iterable<ExportRecordingRow>,
  opts: { bom?: boolean; signal?: AbortSignal; onProgress?: (rows: number) => void } = {},
): Promise<number> {
  if (opts.bom) await sink.write(UTF8_BOM);
  await sink.write(csvRow(ANALYSES_COLUMNS));
  let n = 0;
  for (const r of rows) {
    const p = sink.write(analysesCsvRow(r));
    if (p) await p;
    if (++n % 5000 === 0) {
      throwIfCancelled(opts.signal);
      opts.onProgress?.(n);
      await new Promise<void>((res) => setImmediate(res));
    }
  }
  throwIfCancelled(opts.signal);
  opts.onProgress?.(n);
  return n;
}
