/**
 * Quitting without losing a recording. Before the service closes, every signed-in window's
 * capture is settled: a recording in progress is STOPPED (the service finalises the WAV, stores
 * it and analyses it, exactly as if the nurse had pressed Stop); a countdown that has not
 * recorded anything yet is cancelled. If this takes longer than the time limit we quit anyway:
 * the partial WAV stays in the in-progress folder and is offered for recovery at the next start
 * (recordings.pendingRecovery), so nothing is lost either way.
 */
import type { CaptureState } from '../service/api.js';
import type { ServiceConnection } from '../service/connection.js';
import type { FileLog } from './file-log.js';

/** What settling a window's capture needs of its connection. */
export type SettlingConnection = Pick<ServiceConnection, 'call' | 'peer'>;

export interface ShutdownInput {
  /** The signed-in windows' connections. */
  connections: readonly SettlingConnection[];
  /** Closes the service (store, engine, capture); called after the captures are settled. */
  close: () => Promise<void> | void;
  log: Pick<FileLog, 'info' | 'warn' | 'error'>;
  timeoutMs?: number;
}

export interface ShutdownReport {
  stopped: number;
  cancelled: number;
  timedOut: boolean;
}

/** Stops (or cancels) the capture of one window's session; returns what it did. */
export async function settleCapture(conn: SettlingConnection): Promise<'stopped' | 'cancelled' | 'none'> {
  let state: CaptureState;
  try {
    state = await conn.call('capture.status', {});
  } catch {
    return 'none'; // not a recording role, session gone, or capture unavailable
  }
  if (!state.captureId) return 'none';
  if (state.state === 'recording') {
    await conn.call('capture.stop', { captureId: state.captureId });
    return 'stopped';
  }
  if (state.state === 'countdown') {
    await conn.call('capture.cancel', { captureId: state.captureId });
    return 'cancelled';
  }
  return 'none';
}

export async function gracefulShutdown(input: ShutdownInput): Promise<ShutdownReport> {
  const report: ShutdownReport = { stopped: 0, cancelled: 0, timedOut: false };
  const work = (async () => {
    for (const s of input.connections) {
      try {
        const done = await settleCapture(s);
        if (done === 'stopped') report.stopped++;
        if (done === 'cancelled') report.cancelled++;
      } catch (err) {
        input.log.error('shutdown: could not stop a recording; it will be offered for recovery at the next start', {
          peer: s.peer,
          error: err instanceof Error ? err.message : String(err),
        });
      }
    }
    await input.close();
  })();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), input.timeoutMs ?? 20_000);
  });
  try {
    const outcome = await Promise.race([work.then(() => 'done' as const), timeout]);
    if (outcome === 'timeout') {
      report.timedOut = true;
      input.log.warn(
        'shutdown: the service did not close in time; quitting anyway (an unfinished recording will be offered for recovery)',
      );
    }
  } catch (err) {
    input.log.error('shutdown: closing the service failed', {
      error: err instanceof Error ? err.message : String(err),
    });
  } finally {
    clearTimeout(timer);
  }
  input.log.info('shutdown: done', { ...report });
  return report;
}
