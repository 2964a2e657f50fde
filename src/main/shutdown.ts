/**
 * Quitting without losing a recording. Before the service closes, every signed-in window's
 * capture is settled: a recording in progress is STOPPED (the service finalises the WAV, stores
 * it and analyses it, exactly as if the nurse had pressed Stop); a countdown that has not
 * recorded anything yet is cancelled. If this takes longer than the time limit we quit anyway:
 * the partial WAV stays in the in-progress folder and is offered for recovery at the next start
 * (recordings.pendingRecovery), so nothing is lost either way.
 */
import type { CaptureState } from '../service/api.js';
import type { FileLog } from './file-log.js';
import type { ServicePort } from './ipc-bridge.js';

export interface ShutdownInput {
  service: Pick<ServicePort, 'call'>;
  sessions: Array<{ token: string; peer: string }>;
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

/** Stops (or cancels) the capture of one session; returns what it did. */
export async function settleCapture(
  service: Pick<ServicePort, 'call'>,
  session: { token: string; peer: string },
): Promise<'stopped' | 'cancelled' | 'none'> {
  const ctx = { sessionToken: session.token, transport: 'ipc' as const, peer: session.peer };
  let state: CaptureState;
  try {
    state = (await service.call(ctx, 'capture.status', {})) as CaptureState;
  } catch {
    return 'none'; // not a recording role, session gone, or capture unavailable
  }
  if (!state.captureId) return 'none';
  if (state.state === 'recording') {
    await service.call(ctx, 'capture.stop', { captureId: state.captureId });
    return 'stopped';
  }
  if (state.state === 'countdown') {
    await service.call(ctx, 'capture.cancel', { captureId: state.captureId });
    return 'cancelled';
  }
  return 'none';
}

export async function gracefulShutdown(input: ShutdownInput): Promise<ShutdownReport> {
  const report: ShutdownReport = { stopped: 0, cancelled: 0, timedOut: false };
  const work = (async () => {
    for (const s of input.sessions) {
      try {
        const done = await settleCapture(input.service, s);
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
