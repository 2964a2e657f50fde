/**
 * `auscult devices` and `auscult record` as a user runs them: a real process whose PortAudio
 * sees the virtual ALSA stethoscope (HOME points at a temporary .asoundrc), real WAV files, and
 * for the analysis the converted YAMNet with a contract head.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspectWav, readWavPcm16 } from '../../src/audio/wav-stream-writer.js';
import { PROJECT_ROOT, scratchDir } from '../support/paths.js';
import { makeHead, type MadeHead } from '../support/make-head.js';
import { yamnetModelsDir, yamnetUnavailable } from '../inference/yamnet-fixture.js';
import { tone, virtualAlsa, writeRaw, type VirtualAlsa } from '../support/virtual-alsa.js';

function cliArgs(): string[] {
  const compiled = fileURLToPath(import.meta.url).includes(join(PROJECT_ROOT, 'dist'));
  return compiled
    ? [join(PROJECT_ROOT, 'bin', 'auscult.js')]
    : ['--import', 'tsx', join(PROJECT_ROOT, 'src', 'cli', 'main.ts')];
}

let dir = '';
let alsa: VirtualAlsa;
let fixture: Int16Array;

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...alsa.env, AUSCULT_DATA_DIR: join(dir, 'data'), ...extra };
}

function auscult(args: string[], extra: Record<string, string> = {}) {
  return spawnSync(process.execPath, [...cliArgs(), ...args], {
    encoding: 'utf8',
    env: env(extra),
    cwd: PROJECT_ROOT,
    timeout: 120_000,
  });
}

before(() => {
  dir = scratchDir('auscult-record-');
  // 120 s of tone at 48 kHz: longer than anything recorded here, so no comparison meets EOF.
  fixture = tone(48000, 120, 200, 0.3);
  writeRaw(join(dir, 'tone48.raw'), fixture);
  alsa = virtualAlsa([{ name: 'stetho', infile: join(dir, 'tone48.raw') }]);
});

test('auscult devices lists the virtual stethoscope and marks it; --json is clean JSON', () => {
  const text = auscult(['devices']);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /^\* +\d+ +stetho +\(ALSA, \d+ ch, 44100 Hz\)/m);
  const json = auscult(['devices', '--json', '--pin', 'stetho']);
  assert.equal(json.status, 0, json.stderr);
  const list = JSON.parse(json.stdout) as Array<{ name: string; likelyStethoscope: boolean; pinned: boolean }>;
  assert.deepEqual(
    list.filter((d) => d.name === 'stetho').map((d) => [d.likelyStethoscope, d.pinned]),
    [[true, true]],
  );
});

test('a record killed with SIGKILL mid-recording leaves a WAV that --recover restores bit-exact', async () => {
  const out = join(dir, 'killed.wav');
  const child = spawn(
    process.execPath,
    [...cliArgs(), 'record', '--device', 'stetho', '--seconds', '0', '--rate', '48000', '--out', out, '--no-analysis'],
    {
      env: env(),
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  // Wait until at least 2 s of audio is on disk, then kill without warning.
  const deadline = Date.now() + 60_000;
  while (!(existsSync(out) && statSync(out).size > 44 + 2 * 48000 * 2)) {
    if (Date.now() > deadline || child.exitCode !== null) assert.fail(`recording never reached 2 s: ${stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  const left = inspectWav(out);
  assert.ok(left.samples >= 2 * 48000, `${left.samples} samples survived`);
  const r = auscult(['record', '--recover', out, '--no-analysis', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { capture: { status: string; samples: number; sampleRate: number } };
  assert.equal(report.capture.status, 'recovered');
  assert.equal(report.capture.sampleRate, 48000);
  const info = inspectWav(out);
  assert.equal(info.needsRepair, false);
  assert.equal(report.capture.samples, info.samples);
  const wav = readWavPcm16(out).samples;
  for (let i = 0; i < wav.length; i++)
    if (wav[i] !== fixture[i]) assert.fail(`recovered sample ${i} differs from the fixture`);
});

test('Ctrl-C stops a free-running record and keeps everything recorded', async () => {
  const out = join(dir, 'ctrl-c.wav');
  const child = spawn(
    process.execPath,
    [
      ...cliArgs(),
      'record',
      '--device',
      'stetho',
      '--seconds',
      '0',
      '--rate',
      '48000',
      '--out',
      out,
      '--no-analysis',
      '--json',
    ],
    {
      env: env(),
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const deadline = Date.now() + 60_000;
  while (!(existsSync(out) && statSync(out).size > 44 + 48000 * 2)) {
    if (Date.now() > deadline || child.exitCode !== null) assert.fail(`recording never reached 1 s: ${stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGINT');
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  assert.equal(code, 0, stderr);
  const report = JSON.parse(stdout) as { capture: { status: string; samples: number } };
  assert.equal(report.capture.status, 'recorded');
  const info = inspectWav(out);
  assert.equal(info.needsRepair, false);
  assert.equal(info.samples, report.capture.samples);
  assert.ok(info.samples >= 48000);
  const wav = readWavPcm16(out).samples;
  for (let i = 0; i < wav.length; i++) if (wav[i] !== fixture[i]) assert.fail(`sample ${i} differs from the fixture`);
});

const analysisSkip = yamnetUnavailable();
let modelsDir = '';
let head: MadeHead;

test('record --json prints exactly what analyze --json prints for the saved WAV', { skip: analysisSkip }, async () => {
  modelsDir = await yamnetModelsDir();
  head = makeHead(join(dir, 'head'), { name: 'record-head' });
  const out = join(dir, 'rec.wav');
  const rec = auscult(
    [
      'record',
      '--device',
      'stetho',
      '--seconds',
      '3',
      '--rate',
      '48000',
      '--out',
      out,
      '--json',
      '--head',
      head.cardPath,
    ],
    { AUSCULT_MODELS_DIR: modelsDir },
  );
  assert.equal(rec.status, 0, rec.stderr);
  const recorded = JSON.parse(rec.stdout) as {
    files: Array<{ ok: boolean; result: Record<string, unknown> }>;
    capture: { samples: number };
  };
  assert.equal(recorded.capture.samples, 3 * 48000);
  const wav = readWavPcm16(out).samples;
  for (let i = 0; i < wav.length; i++) if (wav[i] !== fixture[i]) assert.fail(`sample ${i} differs from the fixture`);
  const an = auscult(['analyze', out, '--json', '--head', head.cardPath], { AUSCULT_MODELS_DIR: modelsDir });
  assert.equal(an.status, 0, an.stderr);
  const analysed = JSON.parse(an.stdout) as { files: Array<{ ok: boolean; result: Record<string, unknown> }> };
  const strip = (r: Record<string, unknown>) => ({ ...r, timingsMs: null });
  assert.equal(recorded.files[0]!.ok, true);
  assert.deepEqual(strip(recorded.files[0]!.result), strip(analysed.files[0]!.result));
});
