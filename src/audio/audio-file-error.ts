/** The one error type for audio files we cannot read: a `code` for programs, a message for people. */
export type AudioFileErrorCode =
  'EMPTY' | 'NOT_WAV' | 'TRUNCATED' | 'UNSUPPORTED' | 'TOO_LARGE' | 'CORRUPT' | 'NOT_FOUND';

export class AudioFileError extends Error {
  override readonly name = 'AudioFileError';
  constructor(
    readonly code: AudioFileErrorCode,
    message: string,
  ) {
    super(message);
  }
}
