/** Messages between portaudio-backend.ts (parent) and portaudio-worker.ts (child). Types only. */

export interface RawDevice {
  id: number;
  name: string;
  hostApi: string;
  maxInputChannels: number;
  defaultSampleRate: number;
}

export type WorkerRequest =
  | { type: 'list' }
  | { type: 'open'; deviceId: number; deviceName: string; sampleRate: number; channels: number; chunkFrames: number }
  | { type: 'stop' };

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'devices'; devices: RawDevice[] }
  | { type: 'opened' }
  /** Interleaved signed 16-bit little-endian PCM. */
  | { type: 'data'; pcm: Uint8Array }
  | { type: 'end' }
  | { type: 'error'; phase: 'list' | 'open' | 'stream'; message: string };
