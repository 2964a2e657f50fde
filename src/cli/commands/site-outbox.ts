/**
 * `auscult site outbox`: what an administrator does with the recordings this workstation saved while
 * the site was away and the site then refused (src/service/outbox-forwarder.ts says when). The list
 * says why each was refused in a sentence that says what to do; `--retry` puts one back in line (the
 * running workstation's forwarder uploads it within its interval); `--discard` removes it from the
 * outbox with a reason and keeps its WAV in the recordings folder; `--refile` files an item refused
 * for its patient under the site's patient with a given MRN (with a reason), signed anew with this
 * workstation's key — only after its present signature checks out, so an item edited outside
 * Auscult is never laundered — and puts it back in line. The administrator's password is
 * checked on the site (AUSCULT_PASSWORD or a prompt, under the sign-in throttle) and every use is
 * audited on the site's chain, signed with this workstation's key.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { recordingsDir } from '../../service/paths.js';
import { checkPasswordInStore, refusal } from '../../service/sign-in-guard.js';
import { openStoreAt } from '../../service/site-store.js';
import {
  Outbox,
  outboxItemProblem,
  outboxPath,
  StoreError,
  trustedKeys,
  type OutboxAudit,
  type OutboxItem,
  type Store,
  type UnreadableOutboxItem,
} from '../../store/index.js';
import { unsafeTextReason } from '../../common/text-safety.js';
import { parseCommandArgs } from '../args.js';
import { dbTarget } from '../db-target.js';
import { passwordFor } from './users.js';
import { osAccountName } from '../../service/os-account.js';

const USAGE = `usage: auscult site outbox [--list | --retry <ID> | --discard <ID> --reason "<why>"
                           | --refile <ID> --patient <MRN> --reason "<why>"] --user <admin>
                          [--db <postgresql://ROLE@HOST/DB>] [--data-dir <folder>] [--json]
  The recordings this workstation saved while the site database was away and the site refused.
  --list     each waiting or refused item, with why it was refused and what to do (the default)
  --retry    put a refused item back in line once its cause is fixed (uploaded within seconds
             by the running Auscult on this workstation)
  --discard  remove a refused item from the outbox; its WAV stays in the recordings folder.
             --reason (at least 10 characters) is kept in the site's audit log.
  --refile   file an item refused for its patient under the site's patient with that MRN, and put
             it back in line (signed anew by this workstation; --reason as for --discard)
  --db defaults to AUSCULT_DB_URL; --data-dir is this workstation's data folder (its outbox).`;

/** What an administrator does with a row that cannot be read (never uploaded, never re-filed). */
const UNREADABLE_ADVICE =
  "Its stored contents cannot be read: the outbox file was damaged or edited outside Auscult, so it is never uploaded. Do not retry; keep a copy of the outbox file for whoever is responsible for this workstation's security, then discard the item with a reason. Its WAV, if any, stays in the recordings folder.";

const isUnreadable = (i: OutboxItem | UnreadableOutboxItem): i is UnreadableOutboxItem => 'damage' in i;

const MIN_REASON = 10;
const MAX_REASON = 500;

/** The forwarder's reason, turned into what the administrator does about it. */
export function refusalAdvice(item: OutboxItem): string {
  const p = item.problem ?? '';
  const file = item.recording.fileName;
  let m: RegExpExecArray | null;
  const refile = `\`auscult site outbox --refile ${item.seq} --patient <MRN> --reason "<why>"\``;
  if ((m = /has no patient (\d+)/.exec(p)))
    return `The site database has no patient with id ${m[1]}, the patient this recording was made for on this workstation. Find the patient in the site's history and re-file this item to them with ${refile}; or discard this item with a reason and import the kept WAV (recordings/${file}) into that patient with \`auscult import\`.`;
  if ((m = /patient (\d+) (is MRN|\(MRN \S+\) has another name)/.exec(p)))
    return `The site's patient ${m[1]} is not the person this recording was made for (${m[2] === 'is MRN' ? 'another MRN' : 'other names'}): ids were reused or the patient record changed. Find the right patient in the site's history and re-file this item to them with ${refile}. Do not retry it unchanged.`;
  if (/is missing from this workstation's recordings folder/.test(p))
    return `Its WAV (recordings/${file}) is no longer on this workstation. Put the file back from a backup and retry; if it is lost, discard the item with a reason.`;
  if (/no longer matches the SHA-256/.test(p))
    return `Its WAV (recordings/${file}) was changed on this workstation after it was saved, so it is not the recording that was made. Do not retry; keep the file for whoever investigates, and discard the item with a reason.`;
  if (/signature does not match|signed by key/.test(p))
    return "The waiting item was edited outside Auscult (its signature does not match its contents). Do not retry; report it to whoever is responsible for this workstation's security, then discard it with a reason.";
  if ((m = /holds recording (\d+) under its intake id with another SHA-256/.exec(p)))
    return `The site already holds recording ${m[1]} for this intake with a different WAV. Compare the two (\`auscult check --files\` on the site) before you discard this item with a reason.`;
  return p
    ? `${p} Ask the site's database administrator if the cause is not clear; retry once it is fixed, or discard with a reason.`
    : 'Refused without a stated reason. Retry it; if it is refused again, discard it with a reason.';
}

interface ListedItem {
  id: number;
  state: OutboxItem['state'];
  savedAt: string;
  patientId: number;
  /** The site's MRN for that patient id, or null when the site has no such patient. */
  mrn: string | null;
  /** The MRN the recording was made for, as the nurse saw it (null: saved by outbox schema 1). */
  madeForMrn: string | null;
  recordedBy: string | null;
  fileName: string;
  wavKept: boolean;
  /** The forwarder's reason (refused items), and what to do about it. */
  problem: string | null;
  why: string | null;
}

function listed(site: Store, recDir: string, item: OutboxItem): ListedItem {
  const patient = site.patients.get(item.recording.patientId);
  return {
    id: item.seq,
    state: item.state,
    savedAt: item.savedAt,
    patientId: item.recording.patientId,
    mrn: patient?.mrn ?? null,
    madeForMrn: item.patient?.mrn ?? null,
    recordedBy: site.users.byId(item.recording.recordedBy)?.username ?? null,
    fileName: item.recording.fileName,
    wavKept: existsSync(join(recDir, item.recording.fileName)),
    problem: item.state === 'refused' ? item.problem : null,
    why: item.state === 'refused' ? refusalAdvice(item) : null,
  };
}

/** The id argument: a positive whole number, or null. */
function itemId(raw: string | undefined): number | null {
  return raw !== undefined && /^[1-9][0-9]{0,9}$/.test(raw) ? Number(raw) : null;
}

export async function runSiteOutbox(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs('site outbox', USAGE, argv, {
    options: {
      list: { type: 'boolean', default: false },
      retry: { type: 'string' },
      discard: { type: 'string' },
      refile: { type: 'string' },
      patient: { type: 'string' },
      reason: { type: 'string' },
      user: { type: 'string' },
      db: { type: 'string' },
      'data-dir': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (!parsed) return 2;
  const v = parsed.values;
  if (v.help) {
    console.log(USAGE);
    return 0;
  }
  const say = (msg: string, code: number) => (console.error(`auscult site outbox: ${msg}`), code);
  const actions = [v.list, v.retry !== undefined, v.discard !== undefined, v.refile !== undefined].filter(
    Boolean,
  ).length;
  if (actions > 1) return say(`give one of --list, --retry, --discard or --refile. Nothing was changed.\n${USAGE}`, 2);
  const raw = v.retry ?? v.discard ?? v.refile;
  const id = raw === undefined ? null : itemId(raw);
  if (raw !== undefined && id === null)
    return say(`'${raw}' is not an item id: give the number --list shows. Nothing was changed.`, 2);
  const withReason = v.discard !== undefined || v.refile !== undefined;
  if (v.reason !== undefined && !withReason)
    return say('--reason goes with --discard or --refile. Nothing was changed.', 2);
  if ((v.patient !== undefined) !== (v.refile !== undefined))
    return say('--refile <ID> and --patient <MRN> go together. Nothing was changed.', 2);
  const mrn = v.patient?.trim().normalize('NFC') ?? '';
  if (v.refile !== undefined) {
    const why = unsafeTextReason(mrn, { multiline: false });
    if (mrn.length === 0 || mrn.length > 64 || why)
      return say(
        `--patient takes the MRN of the site's patient (one line, at most 64 characters${why ? `: ${why}` : ''}). Nothing was changed.`,
        2,
      );
  }
  const reason = v.reason?.trim() ?? '';
  if (withReason) {
    if (reason.length < MIN_REASON)
      return say(
        `a ${v.discard !== undefined ? 'discard' : 're-filing'} needs --reason "<why>" of at least ${MIN_REASON} characters (it is kept in the site's audit log). Nothing was changed.`,
        2,
      );
    // eslint-disable-next-line no-control-regex
    if (reason.length > MAX_REASON || /[\u0000-\u001f\u007f]/.test(reason))
      return say(
        `the reason must be one line of at most ${MAX_REASON} characters, without control characters. Nothing was changed.`,
        2,
      );
  }
  if (!v.user) return say(`give --user <admin>: only an administrator looks after the outbox.\n${USAGE}`, 2);
  const target = dbTarget(v.db, v['data-dir']);
  if (!target.site)
    return say(
      'the outbox belongs to site mode: give the site database with --db postgresql://ROLE@HOST/DB (or AUSCULT_DB_URL). Nothing was changed.',
      2,
    );
  const path = outboxPath(target.dataDir);
  if (!existsSync(path))
    return say(
      `this workstation has no outbox (${path}): nothing has waited here for the site. Give this workstation's data folder with --data-dir if it is elsewhere.`,
      id === null ? 0 : 1,
    );
  let site: Store;
  try {
    site = openStoreAt(target.db, { dataDir: target.dataDir });
  } catch (err) {
    return say(err instanceof Error ? err.message : String(err), 1);
  }
  let outbox: Outbox | null = null;
  try {
    const os = osAccountName();
    const check = await checkPasswordInStore(
      site,
      Date.now(),
      { transport: 'cli', peer: `os:${os}` },
      v.user,
      await passwordFor(v.user),
    );
    if (!check.ok) return say(`${refusal(check, v.user).message} Nothing was changed.`, 1);
    if (check.user.role !== 'admin')
      return say(
        `'${v.user}' is not an administrator; only an administrator looks after the outbox. Nothing was changed.`,
        1,
      );
    const admin = check.user.username;
    outbox = Outbox.open(target.dataDir);
    const recDir = recordingsDir(target.dataDir);
    // objectId: the item's intake id (the `recording.create` entry carries it once uploaded)
    const audit = (
      action: 'outbox.list' | 'outbox.retry' | 'outbox.discard' | 'outbox.refile',
      details: Record<string, unknown>,
      objectId: string | null = null,
    ) =>
      site.tx(() =>
        site.audit.append({
          username: admin,
          action,
          transport: 'cli',
          objectType: 'outbox',
          objectId,
          details: { ...details, osAccount: os, outbox: path },
        }),
      );

    if (id === null) {
      const read = outbox.read();
      const items = read.items.map((i) => listed(site, recDir, i));
      const unreadable = read.unreadable.map((u) => ({
        id: u.seq,
        state: u.state,
        savedAt: u.savedAt,
        damage: u.damage,
        problem: u.problem,
        why: UNREADABLE_ADVICE,
      }));
      audit('outbox.list', {
        waiting: [...items, ...unreadable].filter((i) => i.state === 'waiting').length,
        refused: [...items, ...unreadable].filter((i) => i.state === 'refused').length,
        unreadable: unreadable.length,
      });
      if (v.json) console.log(JSON.stringify({ items, unreadable }, null, 2));
      else if (items.length + unreadable.length === 0)
        console.log('The outbox is empty: everything saved here has reached the site.');
      else {
        for (const u of unreadable)
          console.log(`#${u.id}  ${u.state}  saved ${u.savedAt}  UNREADABLE (${u.damage})\n    ${u.why}`);
        for (const i of items)
          console.log(
            `#${i.id}  ${i.state}  saved ${i.savedAt}  patient ${i.mrn ?? `id ${i.patientId} (not on the site)`}` +
              (i.madeForMrn !== null && i.madeForMrn !== i.mrn ? ` (made for MRN ${i.madeForMrn})` : '') +
              `  by ${i.recordedBy ?? 'unknown'}  ${i.fileName}${i.wavKept ? '' : ' (WAV missing)'}` +
              (i.problem ? `\n    Refused: ${i.problem}` : '') +
              (i.why ? `\n    ${i.why}` : ''),
          );
      }
      return 0;
    }

    const item = outbox.get(id);
    if (!item) return say(`there is no item ${id} in this workstation's outbox (see --list). Nothing was changed.`, 1);
    if (isUnreadable(item)) {
      if (v.discard === undefined)
        return say(
          `item ${id} cannot be read (${item.damage}), so it can be neither uploaded nor re-filed: discard it with --discard ${id} --reason "<why>". Nothing was changed.`,
          1,
        );
      const facts = { item: item.seq, intakeId: item.intakeId, savedAt: item.savedAt, damage: item.damage };
      audit('outbox.discard', { ...facts, state: item.state, problem: item.problem, reason }, item.intakeId);
      outbox.remove(item.intakeId);
      if (v.json) console.log(JSON.stringify({ ok: true, discarded: id, wav: null }));
      else
        console.log(
          `Item ${id} was removed from the outbox (audited with your reason). Its contents could not be read, so no WAV name is known: see recordings/ for files no longer listed.`,
        );
      return 0;
    }
    if (item.state !== 'refused')
      return say(
        `item ${id} is not refused: it is waiting and is uploaded when the site is reachable. Nothing was changed.`,
        1,
      );
    const facts = {
      item: item.seq,
      intakeId: item.intakeId,
      savedAt: item.savedAt,
      patientId: item.recording.patientId,
      madeForMrn: item.patient?.mrn ?? null,
      fileName: item.recording.fileName,
      wavSha256: item.recording.wavSha256,
      problem: item.problem,
    };
    if (v.retry !== undefined) {
      audit('outbox.retry', facts, item.intakeId); // on the site first: a retry that is not audited does not happen
      outbox.retry(id);
      if (v.json) console.log(JSON.stringify({ ok: true, retried: id }));
      else
        console.log(
          `Item ${id} is waiting again: the running Auscult on this workstation uploads it within seconds (or refuses it again, saying why).`,
        );
      return 0;
    }
    if (v.refile !== undefined)
      return refileItem(site, outbox, item, { mrn, reason, json: v.json }, (to) =>
        audit('outbox.refile', { ...facts, ...to, reason }, item.intakeId),
      );
    audit(
      'outbox.discard',
      { ...facts, reason, wavKept: existsSync(join(recDir, item.recording.fileName)) },
      item.intakeId,
    );
    outbox.remove(item.intakeId);
    if (v.json) console.log(JSON.stringify({ ok: true, discarded: id, wav: join(recDir, item.recording.fileName) }));
    else
      console.log(
        `Item ${id} was removed from the outbox (audited with your reason). Its WAV stays at ${join(recDir, item.recording.fileName)}.`,
      );
    return 0;
  } catch (err) {
    if (err instanceof StoreError) return say(err.message, 1);
    throw err;
  } finally {
    outbox?.close();
    site.close();
  }
}

/** Refused for its patient (forwarder: no such patient, or not the person the nurse saw). */
const REFUSED_FOR_PATIENT = /has no patient \d+|patient \d+ (is MRN|\(MRN \S+\) has another name)/;

/**
 * `--refile`: the item goes to the site's patient with that MRN, with that patient's snapshot, its
 * `recording.create` entry noting where it was first filed, signed anew, and waits again. Audited
 * on the site first (`audit`): a re-filing that is not audited does not happen.
 */
function refileItem(
  site: Store,
  outbox: Outbox,
  item: OutboxItem,
  o: { mrn: string; reason: string; json: boolean },
  audit: (to: Record<string, unknown>) => void,
): number {
  const say = (msg: string) => (console.error(`auscult site outbox: ${msg} Nothing was changed.`), 1);
  if (!REFUSED_FOR_PATIENT.test(item.problem ?? ''))
    return say(
      `item ${item.seq} was not refused for its patient, so re-filing it would not help (see --list for what to do).`,
    );
  const signing = site.signing;
  if (!signing) return say('this workstation holds no signing key to sign the re-filed item with.');
  // Re-signing must never launder an item edited outside Auscult: its present signature must check out.
  const problem = outboxItemProblem(item, signing.dbId, trustedKeys([signing.signer.publicKey]));
  if (problem) return say(`item ${item.seq} cannot be re-filed: ${problem}. Discard it with a reason.`);
  const patient = site.patients.byMrn(o.mrn);
  if (!patient)
    return say(
      `the site has no patient with MRN ${o.mrn}: find the patient in the site's history (or register them) first.`,
    );
  const from = { patientId: item.recording.patientId, mrn: item.patient?.mrn ?? null };
  const audited: OutboxAudit[] = item.audit.map((e) =>
    e.action === 'recording.create' ? { ...e, details: { ...e.details, patientId: patient.id, refiledFrom: from } } : e,
  );
  audit({ toPatientId: patient.id, toMrn: patient.mrn });
  if (!outbox.refile(item, { patientId: patient.id, patient, audit: audited }, signing.signer, signing.dbId))
    return say(`item ${item.seq} changed while it was being re-filed (see --list).`);
  if (o.json) console.log(JSON.stringify({ ok: true, refiled: item.seq, patientId: patient.id, mrn: patient.mrn }));
  else
    console.log(
      `Item ${item.seq} is filed under MRN ${patient.mrn} (audited with your reason) and waiting again: the running Auscult on this workstation uploads it within seconds.`,
    );
  return 0;
}
