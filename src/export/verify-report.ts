/**
 * `auscult audit verify <export-folder> [--db <file>]`: runs the verifier and prints the result
 * for a person (or as JSON). Exit code 0 = complete and unaltered, 1 = a problem (the first bad
 * line is named), 2 = the folder could not be read at all.
 */
import { statSync } from 'node:fs';
import type { SqlDatabase } from '../store/index.js';
import { auditHashAt, auditSeqsForExport } from '../store/export-queries.js';
import { verifyAuditExport } from './audit-verify.js';
import type { TrustedKeys } from '../store/index.js';

export async function verifyExportFolderCli(
  folder: string,
  opts: { json: boolean; db?: SqlDatabase; keys?: TrustedKeys | null },
): Promise<number> {
  const st = statSync(folder, { throwIfNoEntry: false });
  if (!st?.isDirectory()) {
    console.error(`auscult audit verify: ${folder} is not a folder. Give the folder an audit-history export made.`);
    return 2;
  }
  const db = opts.db;
  const v = await verifyAuditExport(folder, {
    keys: opts.keys ?? null,
    ...(db
      ? { db: { hashAt: (s) => auditHashAt(db, s), seqsInScope: (sc, upto) => auditSeqsForExport(db, sc, upto) } }
      : {}),
  });
  if (opts.json) {
    console.log(
      JSON.stringify(
        {
          ok: v.ok,
          entries: v.entries,
          firstBad: v.firstBad,
          checked: v.checked,
          notes: v.notes,
          chainHead: v.manifest?.chainHead ?? null,
        },
        null,
        2,
      ),
    );
  } else if (v.ok) {
    const m = v.manifest!;
    console.log(
      `Audit export OK: ${v.entries} entries (seq ${m.firstSeq ?? '-'}..${m.lastSeq ?? '-'}), exported ${m.exportedAt} by ${m.exportedBy}.`,
    );
    for (const c of v.checked) console.log(`  ✓ ${c}`);
    for (const n of v.notes) console.log(`  ! ${n}`);
    if (!db)
      console.log(
        `  Chain head at export: seq ${m.chainHead.seq}, ${m.chainHead.hash}.\n  Add --db <file> to also check it against the database (catches a rewritten manifest or left-out entries).`,
      );
  } else {
    const b = v.firstBad!;
    const where = b.line !== null ? `${b.file} line ${b.line}` : b.file;
    console.error(`Audit export NOT VALID: ${where}${b.seq !== null ? ` (entry ${b.seq})` : ''}: ${b.reason}.`);
    for (const c of v.checked) console.error(`  ✓ ${c}`);
  }
  // Self-consistent is not enough: anyone can sign a forged manifest with a key of their own.
  if (v.ok && v.notes.length > 0) {
    console.error(
      "Audit export NOT VERIFIED against the workstation's key: give its public key with --public-key <file> (auscult audit key), or --db <file> on the workstation.",
    );
    return 1;
  }
  return v.ok ? 0 : 1;
}
