/**
 * On-disk cache of per-patch embeddings, keyed by the audio file's SHA-256, the engine version,
 * the YAMNet model's SHA-256 and the bandwidth: change any of them and the entry is simply not
 * found. Entries are raw little-endian float32 (patches × 1024), written to a temporary name
 * and renamed so an interrupted run never leaves half an entry.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const DIMS = 1024;
const SCORES = 521;

export class EmbeddingCache {
  hits = 0;
  misses = 0;
  constructor(
    readonly dir: string,
    private readonly version: { engineVersion: string; yamnetSha256: string },
  ) {
    mkdirSync(dir, { recursive: true });
  }

  key(fileSha256: string, bandwidthHz: number): string {
    return createHash('sha256')
      .update(
        `auscult-embeddings/1|${fileSha256}|engine ${this.version.engineVersion}|yamnet ${this.version.yamnetSha256}|bw ${bandwidthHz}`,
      )
      .digest('hex');
  }

  get(fileSha256: string, bandwidthHz: number): { embeddings: Float32Array; count: number } | null {
    const path = join(this.dir, `${this.key(fileSha256, bandwidthHz)}.f32`);
    if (!existsSync(path)) {
      this.misses++;
      return null;
    }
    const buf = readFileSync(path);
    if (buf.length === 0 || buf.length % (DIMS * 4) !== 0) {
      this.misses++;
      return null;
    }
    this.hits++;
    const embeddings = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
    return { embeddings, count: embeddings.length / DIMS };
  }

  /** The AudioSet scores of the same patches (patches × 521), beside the embeddings; null if absent. */
  getScores(fileSha256: string, bandwidthHz: number, count: number): Float32Array | null {
    const path = join(this.dir, `${this.key(fileSha256, bandwidthHz)}.scores.f32`);
    if (!existsSync(path)) return null;
    const buf = readFileSync(path);
    if (buf.length !== count * SCORES * 4) return null;
    return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
  }

  putScores(fileSha256: string, bandwidthHz: number, scores: Float32Array): void {
    const path = join(this.dir, `${this.key(fileSha256, bandwidthHz)}.scores.f32`);
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, new Uint8Array(scores.buffer, scores.byteOffset, scores.byteLength));
    renameSync(tmp, path);
  }

  put(fileSha256: string, bandwidthHz: number, embeddings: Float32Array): void {
    const path = join(this.dir, `${this.key(fileSha256, bandwidthHz)}.f32`);
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, new Uint8Array(embeddings.buffer, embeddings.byteOffset, embeddings.byteLength));
    renameSync(tmp, path);
  }
}
