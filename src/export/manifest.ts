/** manifest.json for every folder export: what was exported, by whom, and each file's SHA-256. */
import type { StagingFolder, WrittenFile } from './file-sink.js';

export interface ExportManifest {
  format: 'auscult.export/1';
  kind: string;
  scope: Record<string, unknown>;
  exportedAt: string;
  exportedBy: string;
  files: { name: string; bytes: number; sha256: string }[];
  notes: string[];
}

export async function writeManifest(folder: StagingFolder, m: Omit<ExportManifest, 'format'>): Promise<WrittenFile> {
  const sink = await folder.open('manifest.json');
  try {
    await sink.write(JSON.stringify({ format: 'auscult.export/1', ...m }, null, 2) + '\n');
    return await sink.commit();
  } catch (err) {
    await sink.abort();
    throw err;
  }
}
