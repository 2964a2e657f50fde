/**
 * The room table of ../shared/ARCHITECTURE.md, enforced: every import in src/ and renderer/
 * (static, dynamic, `export … from`, `import('…')` types), read with the TypeScript compiler's
 * own parser, must point into the importing file's room or a room the table says it may import.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { PROJECT_ROOT } from '../support/paths.js';

type Room =
  | 'common'
  | 'audio'
  | 'features'
  | 'inference'
  | 'capture'
  | 'store'
  | 'export'
  | 'service'
  | 'shell'
  | 'server'
  | 'cli';

/**
 * "may import", as in ARCHITECTURE.md. One reading of ours: `src/main/` and `src/preload/`
 * share a row there, so they are one room here ('shell': the preload and the main process share
 * ipc-contract.ts, the two channel names and message shapes).
 */
export const MAY_IMPORT: Record<Room, readonly Room[]> = {
  common: [],
  audio: ['common'],
  features: ['common', 'audio'],
  inference: ['common', 'audio', 'features'],
  capture: ['common', 'audio', 'features', 'inference'],
  store: ['common'],
  export: ['common', 'store', 'audio', 'inference'],
  service: ['common', 'audio', 'features', 'inference', 'capture', 'store', 'export'],
  shell: ['common', 'service'],
  server: ['common', 'service'],
  cli: ['common', 'audio', 'features', 'inference', 'capture', 'store', 'export', 'service', 'server'],
};

const ROOM_OF_FOLDER: Record<string, Room> = {
  common: 'common',
  audio: 'audio',
  features: 'features',
  inference: 'inference',
  capture: 'capture',
  store: 'store',
  export: 'export',
  service: 'service',
  main: 'shell',
  preload: 'shell',
  server: 'server',
  cli: 'cli',
};

/** The renderer knows only the API's types and the shared vocabulary. */
const RENDERER_MAY_IMPORT = ['src/service/api.ts', 'src/common/'];

/** 'src/<room>/…' → its room, or null for a file outside src/. */
function roomOf(rel: string): Room | null {
  const parts = rel.split('/');
  if (parts[0] !== 'src' || parts.length < 3) return null;
  const room = ROOM_OF_FOLDER[parts[1] ?? ''];
  if (!room) throw new Error(`${rel}: src/${parts[1]} is not a room of ARCHITECTURE.md; add it to the table`);
  return room;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return /\.(ts|mts|cts)$/.test(name) && !name.endsWith('.d.ts') ? [full] : [];
  });
}

/** Every module specifier a file names, with its line. */
export function importsOf(fileName: string, text: string): Array<{ spec: string; line: number }> {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const out: Array<{ spec: string; line: number }> = [];
  const add = (node: ts.Node, lit: ts.Expression | undefined) => {
    if (lit && ts.isStringLiteralLike(lit))
      out.push({ spec: lit.text, line: sf.getLineAndCharacterOfPosition(node.getStart()).line + 1 });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node, node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference))
      add(node, node.moduleReference.expression);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword)
      add(node, node.arguments[0]);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node, node.argument.literal);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** The project file a relative specifier names ('./x.js' and, in the bundled renderer, './x'
 *  are the source './x.ts'). */
function target(fromRel: string, spec: string): string {
  const abs = resolve(PROJECT_ROOT, dirname(fromRel), spec);
  const rel = relative(PROJECT_ROOT, abs).split(sep).join('/');
  if (/\.(m|c)?js$/.test(rel)) return rel.replace(/\.(m|c)?js$/, '.$1ts');
  return /\.[a-z]+$/.test(rel) ? rel : `${rel}.ts`;
}

/** Every import that breaks the table, as one readable line each. */
export function violations(files: ReadonlyArray<{ rel: string; text: string }>): string[] {
  const bad: string[] = [];
  for (const { rel, text } of files) {
    for (const { spec, line } of importsOf(rel, text)) {
      const where = `${rel}:${line} imports '${spec}'`;
      const relativeSpec = spec.startsWith('.');
      if (rel.startsWith('renderer/')) {
        if (spec.startsWith('node:')) bad.push(`${where}: the renderer never imports Node code`);
        if (!relativeSpec) continue; // a bundled package (chart.js)
        const to = target(rel, spec);
        if (to.startsWith('renderer/')) continue;
        if (!RENDERER_MAY_IMPORT.some((ok) => (ok.endsWith('/') ? to.startsWith(ok) : to === ok)))
          bad.push(`${where} (${to}): the renderer may import only ${RENDERER_MAY_IMPORT.join(' and ')}`);
        continue;
      }
      if (!relativeSpec) continue;
      const from = roomOf(rel);
      const to = target(rel, spec);
      const toRoom = roomOf(to);
      if (from === null) continue;
      if (toRoom === null) {
        bad.push(`${where} (${to}): code in src/ imports only from src/`);
        continue;
      }
      if (toRoom !== from && !MAY_IMPORT[from].includes(toRoom))
        bad.push(`${where} (${to}): ${from} may import ${MAY_IMPORT[from].join(', ') || 'nothing of ours'}`);
    }
  }
  return bad;
}

function projectFiles(): Array<{ rel: string; text: string }> {
  return ['src', 'renderer/src'].flatMap((d) =>
    sourceFiles(join(PROJECT_ROOT, d)).map((f) => ({
      rel: relative(PROJECT_ROOT, f).split(sep).join('/'),
      text: readFileSync(f, 'utf8'),
    })),
  );
}

test('every import in src/ and renderer/ follows the room table of ARCHITECTURE.md', () => {
  const files = projectFiles();
  assert.ok(files.length > 150, `read ${files.length} files: the walk found the sources`);
  assert.deepEqual(violations(files), []);
});

test('the check sees every kind of import, and names the offending line', () => {
  const text = [
    "import type { A } from '../service/api.js';",
    "export { b } from '../store/index.js';",
    "const c = await import('../inference/engine.js');",
    "type D = import('../capture/session.js').CaptureSession;",
    "import e = require('../export/jobs.js');",
    "import { ok } from './same-room.js';",
  ].join('\n');
  assert.deepEqual(violations([{ rel: 'src/audio/x.ts', text }]), [
    "src/audio/x.ts:1 imports '../service/api.js' (src/service/api.ts): audio may import common",
    "src/audio/x.ts:2 imports '../store/index.js' (src/store/index.ts): audio may import common",
    "src/audio/x.ts:3 imports '../inference/engine.js' (src/inference/engine.ts): audio may import common",
    "src/audio/x.ts:4 imports '../capture/session.js' (src/capture/session.ts): audio may import common",
    "src/audio/x.ts:5 imports '../export/jobs.js' (src/export/jobs.ts): audio may import common",
  ]);
  assert.deepEqual(
    violations([{ rel: 'renderer/src/v.ts', text: "import { X } from '../../src/inference/analysis-types.js';" }]),
    [
      "renderer/src/v.ts:1 imports '../../src/inference/analysis-types.js' (src/inference/analysis-types.ts): the renderer may import only src/service/api.ts and src/common/",
    ],
  );
  assert.deepEqual(violations([{ rel: 'src/common/x.ts', text: "import { y } from '../audio/quality.js';" }]), [
    "src/common/x.ts:1 imports '../audio/quality.js' (src/audio/quality.ts): common may import nothing of ours",
  ]);
});
