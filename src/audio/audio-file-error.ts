/** The one error type for audio files we cannot read: a `code` for programs, a message for people. */
import { CodedError } from '../common/coded-error.js';
export type AudioFileErrorCode =
  'EMPTY' | 'NOT_WAV' | 'TRUNCATED' | 'UNSUPPORTED' | 'TOO_LARGE' | 'CORRUPT' | 'NOT_FOUND';

export class AudioFileError extends CodedError<'audio-file', AudioFileErrorCode> {
  constructor(code: AudioFileErrorCode, message: string) {
    super('audio-file', code, message);
  }
}
