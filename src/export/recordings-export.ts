/**
 * The recordings export: the WAVs plus an index.csv (the analyses columns with each WAV's name in
 * the export), as a zip (yazl, stored without compression: WAV barely compresses and storing
 * is fast) or as files in the export folder. WAV names come from patient data (MRN, site, time)
 * and go through `NameAllocator`, so they are safe and distinct.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import yazl from 'yazl';
import type { ExportRecordingRow } from '../store/export-queries.js';
import { analysesCsvRow, ANALYSES_COLUMNS } from './analyses-csv.js';
import { csvRow, UTF8_BOM } from './csv.js';
import { throwIfCancelled } from './errors.js';
import { FileSink, type StagingFolder, type WrittenFile } from './file-sink.js';
import { NameAllocator } from './safe-names.js';

export type WavReader = (row: ExportRecordingRow) => Promise<Buffer>;

export function wavNameStem(r: ExportRecordingRow): string {
  return `${r.mrn}_${r.site}_${r.recordedAt.slice(0, 19).replace(/[:T]/g, '-')}_${r.id}`;
}

export interface RecordingsExportOptions {
  bom?: boolean;
  signal?: AbortSignal;
  onProgress?: (rows: number) => void;
}

/** Folder form: `recordings/<name>.wav` files plus `index.csv` inside the staging folder. */
export async function writeRecordingsFolder(
  folder: StagingFolder,
  rows: Iterable<ExportRecordingRow>,
  readWav: WavReader,
  opts: RecordingsExportOptions = {},
): Promise<{ files: WrittenFile[]; rows: number }> {
  const wavDir = join(folder.tempPath, 'recordings');
  await mkdir(wavDir, { mode: 0o700 });
  const index = await folder.open('index.csv');
  const files: WrittenFile[] = [];
  const names = new NameAllocator();
  let n = 0;
  try {
    if (opts.bom) await index.write(UTF8_BOM);
    await index.write(csvRow(ANALYSES_COLUMNS));
    for (const r of rows) {
      throwIfCancelled(opts.signal);
      const name = names.take(wavNameStem(r), 'wav');
      const sink = await FileSink.open(wavDir, name);
      try {
        await sink.write(await readWav(r));
        const f = await sink.commit();
        files.push({ ...f, name: `recordings/${f.name}` });
      } catch (err) {
        await sink.abort();
        throw err;
      }
      await index.write(analysesCsvRow(r, `recordings/${name}`));
      opts.onProgress?.(++n);
    }
    files.unshift(await index.commit());
    return { files, rows: n };
  } catch (err) {
    await index.abort();
    throw err;
  }
}

/** Zip form, streamed into `sink` (a temp file renamed by the caller's commit). */
export async function writeRecordingsZip(
  sink: FileSink,
  rows: Iterable<ExportRecordingRow>,
  readWav: WavReader,
  opts: RecordingsExportOptions = {},
): Promise<number> {
  const zip = new yazl.ZipFile();
  const out = new PassThrough();
  zip.outputStream.pipe(out);
  let produced = 0;
  let consumed = 0;
  // Set by the consumer when writing the zip fails; read through failed(), since it changes
  // inside a callback (the compiler would otherwise keep it narrowed to null).
  const failure: { error: Error | null } = { error: null };
  const failed = (): Error | null => failure.error;
  const consumer = (async () => {
    for await (const chunk of out as AsyncIterable<Buffer>) {
      consumed += chunk.length;
      const p = sink.write(chunk);
      if (p) await p;
    }
  })().catch((err: unknown) => {
    failure.error = err instanceof Error ? err : new Error(String(err));
  });
  const names = new NameAllocator();
  let index = (opts.bom ? UTF8_BOM : '') + csvRow(ANALYSES_COLUMNS);
  let n = 0;
  try {
    for (const r of rows) {
      throwIfCancelled(opts.signal);
      const early = failed();
      if (early) throw early;
      const name = names.take(wavNameStem(r), 'wav');
      const wav = await readWav(r);
      zip.addBuffer(wav, `recordings/${name}`, { compress: false, mtime: new Date(r.recordedAt) });
      produced += wav.length;
      index += analysesCsvRow(r, `recordings/${name}`);
      opts.onProgress?.(++n);
      // Bound memory: let the zip drain when more than 32 MiB of WAV is queued.
      while (produced - consumed > 32 << 20 && !failed()) await new Promise<void>((res) => setTimeout(res, 5));
    }
    throwIfCancelled(opts.signal);
    zip.addBuffer(Buffer.from(index, 'utf8'), 'index.csv', { compress: true });
    zip.end();
    await consumer;
    const late = failed();
    if (late) throw late;
    return n;
  } catch (err) {
    out.destroy();
    throw err;
  }
}
