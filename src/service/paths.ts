/** Where the workstation keeps its files. AUSCULT_DATA_DIR overrides the platform default. */
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';

export function appDataDir(): string {
  const override = process.env['AUSCULT_DATA_DIR'];
  if (override) return override;
  const home = homedir();
  switch (process.platform) {
    case 'win32':
      return join(process.env['APPDATA'] ?? join(home, 'AppData', 'Roaming'), 'Auscult');
    case 'darwin':
      return join(home, 'Library', 'Application Support', 'Auscult');
    default:
      return join(process.env['XDG_DATA_HOME'] ?? join(home, '.local', 'share'), 'Auscult');
  }
}

export function defaultDbPath(dataDir = appDataDir()): string {
  return join(dataDir, 'auscult.sqlite');
}
/** Stored WAVs, named by the intake (never by patient data). */
export function recordingsDir(dataDir = appDataDir()): string {
  return join(dataDir, 'recordings');
}
export function exportsDir(dataDir = appDataDir()): string {
  return join(dataDir, 'exports');
}
/**
 * WAVs being captured right now. Capture writes `<name>.wav` plus `<name>.json` (RecoveryMeta)
 * here; a WAV still here at start-up was interrupted and is offered by recordings.pendingRecovery.
 */
export function inProgressDir(dataDir = appDataDir()): string {
  return join(dataDir, 'in-progress');
}

/**
 * The signing folder (the audit signing key and the checkpoint logs): AUSCULT_SIGNING_DIR, else a
 * folder beside the data folder (`<data folder>-signing`), never inside it, so a copy or rollback
 * of the data folder does not carry the key or the checkpoints along.
 */
export function signingDir(dataDir = appDataDir()): string {
  const override = process.env['AUSCULT_SIGNING_DIR'];
  if (override) return override;
  return join(dirname(dataDir), `${basename(dataDir)}-signing`);
}
