/** The full-recording spectrogram for review: log-mel frames of the 16 kHz audio. */
import type { SpectrogramData } from './api.js';
import { ApiError } from './errors.js';
import type { DecodedWav } from './wav-source.js';

export async function spectrogramOf(_audio: DecodedWav): Promise<SpectrogramData> {
  // Wired to src/features/log-mel.ts once the front end lands.
  throw new ApiError('AUDIO', 'The spectrogram is not available in this build yet.');
}
