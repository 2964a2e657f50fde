/** Capture's typed error: a `code` for programs and a message a nurse or admin can act on. */
import { CodedError } from '../common/coded-error.js';
export type CaptureErrorCode =
  | 'DEVICE_MISSING' // no such input device (unplugged, wrong name)
  | 'DEVICE_BUSY' // another program holds the device
  | 'DEVICE_OPEN_FAILED' // the device refused every rate/channel layout we tried
  | 'DEVICE_LOST' // the device (or its driver process) went away mid-recording
  | 'DEVICE_STALLED' // the device stopped delivering sound mid-recording
  | 'BACKEND_UNAVAILABLE' // PortAudio could not be loaded or started
  | 'STORAGE' // the recording file could not be written
  | 'STATE'; // a command that does not fit the session's state

export class CaptureError extends CodedError<'capture', CaptureErrorCode> {
  constructor(code: CaptureErrorCode, message: string) {
    super('capture', code, message);
  }
}
