/**
 * Preparing YAMNet: find the TFLite source, convert it with our converter, self-test the
 * result, and only then write models/yamnet.onnx, models/yamnet.json (provenance and self-test)
 * and models/yamnet_class_map.csv. Builds differ in quantization, so no checksum decides what
 * is acceptable: the structure check (converter) and the self-test do.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ModelError, HOW_TO_PROVIDE_YAMNET } from './errors.js';
import { parseClassMap, readClassMap } from './class-map.js';
import { CLASS_MAP, YAMNET_MANIFEST, YAMNET_ONNX, defaultModelsDir } from './paths.js';
import type { SelfTestCase } from './self-test.js';
import { CONVERTER_VERSION } from './convert/version.js';
// The converter, its self-test and onnxruntime are imported only when a model is built
// (prepareYamnet): an analysis start-up checks the manifest and never needs them.

/** Google's class map beside the official YAMNet code (used with --url when no map is given). */
export const DEFAULT_CLASS_MAP_URL =
  'https://raw.githubusercontent.com/tensorflow/models/master/research/audioset/yamnet/yamnet_class_map.csv';

export interface YamnetManifest {
  schema: 'auscult.yamnet/1';
  file: string;
  sha256: string;
  /** Size of the ONNX file in bytes: the check at every load (absent in manifests before issue 18). */
  bytes?: number;
  source: string;
  sourceSha256: string;
  sourceBytes: number;
  classMapSha256: string;
  converterVersion: string;
  createdAt: string;
  layers: number;
  weights: string[];
  selfTest: SelfTestCase[];
  note: string;
}

const QUANTIZATION_NOTE =
  'Weights are dequantized exactly as the source file declares (value = scale × (q − zero_point)). ' +
  "For Google's dynamic-range int8 TFLite build the int8 weights differ from Google's float weights by about " +
  '0.4–1.2 % (relative), which moves AudioSet scores by about 0.02 and embeddings by about 5 %; ' +
  'a head must be used with embeddings of the same YAMNet source it was trained on.';

export type ModelSource =
  | { kind: 'path'; tflite: string; classMap: string; label: string }
  | { kind: 'url'; url: string; classMapUrl: string; label: string };

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** --source / AUSCULT_MODEL_SOURCE (a folder or a .tflite path), else --url / AUSCULT_MODEL_URL, else null. */
export function resolveSource(opts: { source?: string; url?: string; classMapUrl?: string } = {}): ModelSource | null {
  const src = opts.source ?? process.env['AUSCULT_MODEL_SOURCE'];
  if (src) {
    const p = resolve(src);
    if (!existsSync(p))
      throw new ModelError('MODEL_SOURCE_MISSING', `the model source ${p} does not exist: ${HOW_TO_PROVIDE_YAMNET}`);
    const isDir = statSync(p).isDirectory();
    const tflite = isDir ? join(p, 'yamnet.tflite') : p;
    const classMap = join(isDir ? p : dirname(p), CLASS_MAP);
    return { kind: 'path', tflite, classMap, label: tflite };
  }
  const url = opts.url ?? process.env['AUSCULT_MODEL_URL'];
  if (url) {
    const classMapUrl = opts.classMapUrl ?? process.env['AUSCULT_CLASS_MAP_URL'] ?? DEFAULT_CLASS_MAP_URL;
    return { kind: 'url', url, classMapUrl, label: url };
  }
  return null;
}

async function download(url: string, what: string): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'follow' });
  } catch (err) {
    throw new ModelError(
      'MODEL_SOURCE_MISSING',
      `cannot download ${what} from ${url} (${err instanceof Error ? err.message : String(err)})`,
    );
  }
  if (!res.ok)
    throw new ModelError('MODEL_SOURCE_MISSING', `downloading ${what} from ${url} failed: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

async function readSource(source: ModelSource): Promise<{ tflite: Uint8Array; classMap: Uint8Array }> {
  if (source.kind === 'url') {
    return {
      tflite: await download(source.url, 'YAMNet'),
      classMap: await download(source.classMapUrl, 'the class map'),
    };
  }
  if (!existsSync(source.tflite))
    throw new ModelError('MODEL_SOURCE_MISSING', `no yamnet.tflite at ${source.tflite}: ${HOW_TO_PROVIDE_YAMNET}`);
  if (!existsSync(source.classMap)) {
    throw new ModelError(
      'MODEL_SOURCE_MISSING',
      `no ${CLASS_MAP} beside ${source.tflite}: put Google's class map next to the model`,
    );
  }
  return { tflite: readFileSync(source.tflite), classMap: readFileSync(source.classMap) };
}

export type ModelStatus = { ok: true; manifest: YamnetManifest } | { ok: false; reason: string };

export interface StatusOptions {
  /**
   * Re-hash the ONNX file against the manifest's SHA-256 (15 MB: 20–45 ms). Default false: the
   * size is compared with the manifest's, which catches a truncated, replaced or half-written
   * file; `auscult models` and `auscult check` re-hash. A manifest without a size is re-hashed.
   */
  rehash?: boolean;
}

/** Is a usable converted model present (files, size or checksum, converter version, passed self-test)? */
export function yamnetStatus(modelsDir = defaultModelsDir(), opts: StatusOptions = {}): ModelStatus {
  const onnxPath = join(modelsDir, YAMNET_ONNX);
  const manifestPath = join(modelsDir, YAMNET_MANIFEST);
  if (!existsSync(onnxPath)) return { ok: false, reason: `${onnxPath} is missing` };
  if (!existsSync(manifestPath)) return { ok: false, reason: `${manifestPath} is missing` };
  let manifest: YamnetManifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as YamnetManifest;
  } catch {
    return { ok: false, reason: `${manifestPath} is not valid JSON` };
  }
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- a file on disk: checked, not trusted
  if (manifest.schema !== 'auscult.yamnet/1') return { ok: false, reason: `${manifestPath} is not a YAMNet manifest` };
  if (manifest.converterVersion !== CONVERTER_VERSION) {
    return {
      ok: false,
      reason: `the model was converted by converter ${manifest.converterVersion}; this is ${CONVERTER_VERSION}`,
    };
  }
  const knownSize = typeof manifest.bytes === 'number';
  if (knownSize && statSync(onnxPath).size !== manifest.bytes)
    return { ok: false, reason: `${onnxPath} is not the size its manifest records (${manifest.bytes} bytes)` };
  if ((opts.rehash === true || !knownSize) && sha256(readFileSync(onnxPath)) !== manifest.sha256)
    return { ok: false, reason: `${onnxPath} does not match its manifest's SHA-256` };
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- a file on disk: checked, not trusted
  if (!manifest.selfTest?.every((c) => c.pass)) return { ok: false, reason: 'the model did not pass its self-test' };
  try {
    readClassMap(join(modelsDir, CLASS_MAP));
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
  return { ok: true, manifest };
}

export interface PrepareOptions {
  modelsDir?: string;
  source?: ModelSource;
  log?: (line: string) => void;
}

/**
 * Convert, self-test, write. Refuses (writes nothing) when the structure or the self-test
 * fails. Files are written under temporary names and renamed, so a crash leaves no half model.
 */
export async function prepareYamnet(opts: PrepareOptions = {}): Promise<YamnetManifest> {
  const log = opts.log ?? (() => {});
  const modelsDir = opts.modelsDir ?? defaultModelsDir();
  const source = opts.source ?? resolveSource();
  if (!source) throw new ModelError('MODEL_SOURCE_MISSING', `no YAMNet source configured: ${HOW_TO_PROVIDE_YAMNET}`);

  log(`models: reading YAMNet from ${source.label}`);
  const { tflite, classMap: classMapBytes } = await readSource(source);
  const sourceSha256 = sha256(tflite);
  log(`models: source ${basename(source.label)} ${tflite.length} bytes, SHA-256 ${sourceSha256}`);
  const classMap = parseClassMap(new TextDecoder().decode(classMapBytes), 'the source class map');

  const [{ ConversionError, convertYamnetTflite }, { runSelfTest }, { YamnetSession }] = await Promise.all([
    import('./yamnet-convert.js'),
    import('./self-test.js'),
    import('./yamnet-session.js'),
  ]);
  const t0 = performance.now();
  let converted;
  try {
    converted = convertYamnetTflite(tflite);
  } catch (err) {
    if (err instanceof ConversionError) {
      throw new ModelError('MODEL_SOURCE_INVALID', `${source.label} is not a usable YAMNet model: ${err.message}`);
    }
    throw err;
  }
  const weights = [...new Set(converted.layers.map((l) => l.weights).concat(converted.dense.weights))];
  log(
    `models: converted ${converted.layers.length} convolutions + dense in ${Math.round(performance.now() - t0)} ms ` +
      `(weights: ${weights.join(', ')})`,
  );

  const session = await YamnetSession.load(converted.onnx);
  let selfTest: SelfTestCase[];
  try {
    selfTest = await runSelfTest(session, classMap);
  } finally {
    await session.close();
  }
  for (const c of selfTest) {
    log(
      `models: self-test ${c.pass ? 'ok  ' : 'FAIL'} ${c.name}: ${c.top.map((t) => `${t.name} ${t.score.toFixed(2)}`).join(', ')}`,
    );
  }
  const failed = selfTest.filter((c) => !c.pass);
  if (failed.length > 0) {
    throw new ModelError(
      'MODEL_SELF_TEST_FAILED',
      `the converted model failed its self-test (${failed.map((c) => `${c.name}: expected ${c.expect}`).join('; ')}); nothing was written`,
    );
  }

  mkdirSync(modelsDir, { recursive: true });
  const onnxSha = sha256(converted.onnx);
  const manifest: YamnetManifest = {
    schema: 'auscult.yamnet/1',
    file: YAMNET_ONNX,
    sha256: onnxSha,
    bytes: converted.onnx.length,
    source: source.label,
    sourceSha256,
    sourceBytes: tflite.length,
    classMapSha256: sha256(classMapBytes),
    converterVersion: CONVERTER_VERSION,
    createdAt: new Date().toISOString(),
    layers: converted.layers.length,
    weights,
    selfTest,
    note: QUANTIZATION_NOTE,
  };
  const write = (name: string, data: Uint8Array | string) => {
    const tmp = join(modelsDir, `.${name}.${process.pid}.tmp`);
    writeFileSync(tmp, data);
    renameSync(tmp, join(modelsDir, name));
  };
  write(CLASS_MAP, classMapBytes);
  write(YAMNET_ONNX, converted.onnx);
  // the manifest last: its presence with a matching SHA-256 marks a complete model
  write(YAMNET_MANIFEST, JSON.stringify(manifest, null, 2) + '\n');
  log(`models: wrote ${join(modelsDir, YAMNET_ONNX)} SHA-256 ${onnxSha}`);
  log(`models: wrote ${join(modelsDir, CLASS_MAP)} SHA-256 ${manifest.classMapSha256}`);
  log(`models: wrote ${join(modelsDir, YAMNET_MANIFEST)}`);
  return manifest;
}

/**
 * After a full re-hash passed: record the ONNX file's size in a manifest written before sizes were
 * recorded, so later loads can check the size instead of re-hashing. Returns whether it wrote.
 */
export function recordModelSize(modelsDir: string, manifest: YamnetManifest): boolean {
  if (typeof manifest.bytes === 'number') return false;
  const updated: YamnetManifest = { ...manifest, bytes: statSync(join(modelsDir, YAMNET_ONNX)).size };
  const tmp = join(modelsDir, `.${YAMNET_MANIFEST}.${process.pid}.tmp`);
  writeFileSync(tmp, JSON.stringify(updated, null, 2) + '\n');
  renameSync(tmp, join(modelsDir, YAMNET_MANIFEST));
  return true;
}

/** Make sure a valid YAMNet is present, building it from the configured source if needed. */
export async function ensureYamnet(
  opts: { modelsDir?: string; log?: (line: string) => void } = {},
): Promise<YamnetManifest> {
  const modelsDir = opts.modelsDir ?? defaultModelsDir();
  const status = yamnetStatus(modelsDir);
  if (status.ok) return status.manifest;
  const source = resolveSource();
  if (!source)
    throw new ModelError('MODEL_MISSING', `YAMNet is not ready (${status.reason}): ${HOW_TO_PROVIDE_YAMNET}`);
  opts.log?.(`models: YAMNet is not ready (${status.reason}); building it now`);
  return prepareYamnet({ modelsDir, source, log: opts.log });
}
