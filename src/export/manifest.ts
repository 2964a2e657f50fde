/** manifest.json for every folder export: what was exported, by whom, and each file's SHA-256. */
import type { StagingFolder, WrittenFile } from './file-sink.js';
import { signManifest, type ManifestSigning } from './manifest-signature.js';

export interface ExportManifest {
  format: 'auscult.export/1';
  kind: string;
  scope: Record<string, unknown>;
  exportedAt: string;
  exportedBy: string;
  files: { name: string; bytes: number; sha256: string }[];
  notes: string[];
}

export async function writeManifest(
  folder: StagingFolder,
  m: Omit<ExportManifest, 'format'>,
  signing: ManifestSigning | null = null,
): Promise<WrittenFile> {
  const sink = await folder.open('manifest.json');
  try {
    const body = { format: 'auscult.export/1' as const, ...m };
    await sink.write(JSON.stringify(signing ? signManifest(body, signing) : body, null, 2) + '\n');
    return await sink.commit();
  } catch (err) {
    await sink.abort();
    throw err;
  }
}
