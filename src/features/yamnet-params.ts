/**
 * YAMNet's front-end constants, from its published params.py (see ARCHITECTURE.md, "Facts the code
 * must honour"). Every other module derives from these; change nothing here without the model.
 */
export const SAMPLE_RATE = 16000;
/** STFT window: 25 ms periodic Hann. */
export const WINDOW = 400;
/** STFT hop: 10 ms. */
export const HOP = 160;
/** FFT length: the next power of two above WINDOW. */
export const FFT = 512;
/** FFT bins kept (0 .. FFT/2). */
export const FFT_BINS = FFT / 2 + 1;
export const MEL_BANDS = 64;
export const MEL_MIN_HZ = 125;
export const MEL_MAX_HZ = 7500;
/** Added before the log so silence gives log(0.001) ≈ −6.91 rather than −∞. */
export const LOG_OFFSET = 0.001;
/** A patch: 96 frames (0.96 s), one every 48 frames (0.48 s). */
export const PATCH_FRAMES = 96;
export const PATCH_HOP_FRAMES = 48;
/** Samples that give exactly one patch: 95 hops plus one window. */
export const PATCH_SAMPLES = (PATCH_FRAMES - 1) * HOP + WINDOW; // 15600
/** Seconds between patch starts and per patch, for timelines. */
export const PATCH_HOP_SEC = (PATCH_HOP_FRAMES * HOP) / SAMPLE_RATE; // 0.48
export const PATCH_SEC = (PATCH_FRAMES * HOP) / SAMPLE_RATE; // 0.96

/** The network's sizes (YAMNet's params.py `num_classes`; the MobileNet's last layer width). */
export const EMBEDDING_DIMS = 1024;
export const AUDIOSET_CLASSES = 521;
