/**
 * Issue 17's gap, closed: the workstations' database password is not enough to add a trusted
 * signing key. A key registered with that password (through the driver, as Auscult does, or psql)
 * is registered awaiting approval; entries it signs do not verify until the site database's owner
 * approves it; the workstations' role can neither register a key approved nor approve one; an
 * approved key cannot be changed, not even by the owner. A recording sealed by a key awaiting
 * approval is not verified either, and both say so in the same words, naming the owner's command.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Store } from '../../src/store/index.js';
import { signedByPendingKey } from '../../src/store/workstation-keys.js';
import { scratchDir } from '../support/paths.js';
import { startPgCluster, type PgCluster } from '../support/pg-cluster.js';

let cluster: PgCluster | null = null;
let skipped: string | null = null;

const entry = (store: Store, action: 'patient.view' | 'user.create', who: string) =>
  store.tx(() => store.audit.append({ username: who, action, transport: 'cli', details: { who } })).seq;

describe("site signing keys approved by the database's owner", () => {
  before(async () => {
    cluster = await startPgCluster((reason) => (skipped = reason));
    cluster?.createSite('site_keys', ['ws1']);
    cluster?.createSite('site_seals', []);
  });
  after(() => cluster?.stop());

  it("a key registered with the workstations' password does not verify until the owner approves it", (t) => {
    if (!cluster) {
      t.skip(skipped ?? 'no cluster');
      return;
    }
    const c = cluster;
    const psql = (role: string, sql: string) => c.psql(role, 'site_keys', sql);
    const owner = Store.openSite(c.url('auscult_owner', 'site_keys'), { signing: { dir: scratchDir('owner-sign-') } });
    const ws = Store.openSite(c.url('ws1', 'site_keys'), { signing: { dir: scratchDir('ws-sign-') } });
    // the attacker: the workstations' password, a signing folder of their own
    const forger = Store.openSite(c.url('ws1', 'site_keys'), { signing: { dir: scratchDir('forger-sign-') } });
    try {
      const wsKey = ws.signing!.signer.keyId;
      const forgerKey = forger.signing!.signer.keyId;
      assert.equal(
        psql('auscult_owner', 'SELECT count(*) FROM workstation_keys WHERE approved_at IS NULL').stdout.trim(),
        '3',
      );

      // the owner approves the real workstation (its own key with it: it signs the approval)
      const approved = owner.approveWorkstationKey(wsKey, { osAccount: 'test' });
      assert.equal(approved.approvedBy, 'auscult_owner');
      const a = owner.audit.list({ action: 'site.key.approved' }, 10, 0);
      assert.equal(a.total, 1);
      const details = a.items[0]!.details;
      assert.equal(details['keyId'], wsKey);
      assert.equal(details['alsoApprovedSigningKey'], owner.signing!.signer.keyId);
      entry(ws, 'patient.view', 'nina');
      assert.equal(ws.verifyAudit().ok, true, ws.verifyAudit().reason ?? '');

      // a forged entry, validly signed under the fresh key: named, not verified
      const forged = entry(forger, 'user.create', 'mallory');
      const v = ws.verifyAudit();
      assert.equal(v.ok, false);
      assert.deepEqual(v.awaitingApproval, {
        seq: forged,
        keyId: forgerKey,
        workstation: v.awaitingApproval?.workstation,
      });
      assert.equal(v.firstBadSeq, forged);
      assert.match(
        v.reason ?? '',
        new RegExp(
          `entry ${forged} on is signed by key ${forgerKey}.*awaits approval.*auscult site approve-key --db postgresql://OWNER@HOST/DB ${forgerKey}`,
        ),
      );
      assert.equal(v.entries, forged, 'the rest of the chain was still checked');
      // its seal or entry: not trusted either
      assert.ok(!ws.trustedKeys?.has(forgerKey));

      // the workstations' role can neither approve nor register a key approved
      const head = psql('auscult_owner', 'SELECT seq FROM audit_chain_head').stdout.trim();
      assert.throws(
        () => forger.approveWorkstationKey(forgerKey, { osAccount: 'mallory' }),
        /connected as role 'ws1', but only the site database's owner \('auscult_owner'.*Nothing was changed\./,
      );
      const upd = psql(
        'ws1',
        `UPDATE workstation_keys SET approved_at = 'now', approved_by = 'auscult_owner' WHERE key_id = '${forgerKey}'`,
      );
      assert.notEqual(upd.status, 0);
      assert.match(upd.stderr, /permission denied/);
      const ins = psql(
        'ws1',
        `INSERT INTO workstation_keys (key_id, public_key, workstation, first_seq, added_at, approved_at, approved_by)
           VALUES ('${'f'.repeat(32)}', 'AAAA', 'x', 1, 'now', 'now', 'auscult_owner')`,
      );
      assert.notEqual(ins.status, 0);
      assert.match(ins.stderr, /permission denied/);
      assert.equal(psql('auscult_owner', 'SELECT seq FROM audit_chain_head').stdout.trim(), head, 'nothing changed');
      assert.equal(
        psql(
          'auscult_owner',
          `SELECT approved_at IS NULL FROM workstation_keys WHERE key_id = '${forgerKey}'`,
        ).stdout.trim(),
        't',
      );

      // refusals by the owner: unknown, already approved; nothing changes
      assert.throws(
        () => owner.approveWorkstationKey('0'.repeat(32), { osAccount: 'o' }),
        /No workstation key 0{32} is registered.*Nothing was changed\./,
      );
      assert.throws(
        () => owner.approveWorkstationKey(wsKey, { osAccount: 'o' }),
        /already approved by auscult_owner.*Nothing was changed\./,
      );
      assert.equal(psql('auscult_owner', 'SELECT seq FROM audit_chain_head').stdout.trim(), head);

      // approved by the owner: it verifies
      owner.approveWorkstationKey(forgerKey, { osAccount: 'o' });
      const after = ws.verifyAudit();
      assert.equal(after.ok, true, after.reason ?? '');
      assert.equal(after.awaitingApproval, undefined);

      // an approved key cannot be changed, not even by the owner; nor removed
      for (const sql of [
        `UPDATE workstation_keys SET public_key = 'AAAA' WHERE key_id = '${wsKey}'`,
        `UPDATE workstation_keys SET approved_by = 'someone' WHERE key_id = '${wsKey}'`,
        `UPDATE workstation_keys SET approved_at = NULL, approved_by = NULL WHERE key_id = '${wsKey}'`,
        `DELETE FROM workstation_keys WHERE key_id = '${wsKey}'`,
      ]) {
        const r = psql('auscult_owner', sql);
        assert.notEqual(r.status, 0, sql);
        assert.match(r.stderr, /a registered signing key cannot be changed/, sql);
      }
      // and the owner cannot approve in another role's name
      const other = Store.openSite(c.url('ws1', 'site_keys'), { signing: { dir: scratchDir('other-sign-') } });
      const otherKey = other.signing!.signer.keyId;
      other.close();
      const lie = psql(
        'auscult_owner',
        `UPDATE workstation_keys SET approved_at = 'now', approved_by = 'ws1' WHERE key_id = '${otherKey}'`,
      );
      assert.notEqual(lie.status, 0);
      assert.match(lie.stderr, /a registered signing key cannot be changed/);
    } finally {
      forger.close();
      ws.close();
      owner.close();
    }
  });

  it("a seal by a key awaiting approval is not verified and says so as the audit log does, naming the owner's command", (t) => {
    if (!cluster) {
      t.skip(skipped ?? 'no cluster');
      return;
    }
    const c = cluster;
    // the server's superuser with triggers off: damage only someone holding the database can do
    const tamper = (sql: string) => {
      const r = c.psql('postgres', 'site_seals', `SET session_replication_role = replica;\n${sql}`);
      assert.equal(r.status, 0, r.stderr);
    };
    const owner = Store.openSite(c.url('auscult_owner', 'site_seals'), { signing: { dir: scratchDir('owner-sign-') } });
    const ward = Store.openSite(c.url('ws1', 'site_seals'), { signing: { dir: scratchDir('ward-sign-') } });
    const desk = Store.openSite(c.url('ws1', 'site_seals'), { signing: { dir: scratchDir('desk-sign-') } });
    try {
      owner.approveWorkstationKey(ward.signing!.signer.keyId, { osAccount: 'test' });
      entry(ward, 'patient.view', 'nina'); // the ward's checkpoint log begins
      const deskKey = desk.signing!.signer.keyId;
      const deskName = owner.workstationKeys().find((k) => k.keyId === deskKey)!.workstation;
      // the desk, its key not yet approved, signs a recording
      const rid = desk.tx(() => {
        const doc = desk.users.create({
          username: 'paul',
          displayName: 'Dr Paul',
          role: 'pulmonologist',
          passwordHash: 'x',
        });
        const p = desk.patients.create({ mrn: 'MRN-1', givenName: 'Ann', familyName: 'Lee', createdBy: doc.id });
        const id = desk.recordings.insert({
          patientId: p.id,
          site: 'trachea',
          deviceName: 'test',
          sampleRate: 4000,
          durationSec: 3,
          fileName: 'a.wav',
          wavSha256: 'a'.repeat(64),
          status: 'recorded',
          recordedBy: doc.id,
          recordedAt: new Date().toISOString(),
        });
        desk.signRecording({
          recordingId: id,
          userId: doc.id,
          username: 'paul',
          fullName: 'Dr Paul',
          role: 'pulmonologist',
          label: 'healthy',
          statement: 'I reviewed this recording.',
          meaning: 'agree',
        });
        desk.audit.append({
          username: 'paul',
          action: 'recording.sign',
          transport: 'cli',
          objectType: 'recording',
          objectId: id,
        });
        return id;
      });

      // on the ward: not "not the workstation's", but awaiting approval, with the command to run
      const why = ward.sealStatus(rid);
      assert.equal(why?.valid, false);
      assert.match(
        why.problem ?? '',
        new RegExp(
          `^its seal is signed by key ${deskKey} of workstation ".*", which awaits approval by the site database's owner, so the seal is not verified: .*\`auscult site approve-key --db postgresql://OWNER@HOST/DB ${deskKey}\`$`,
        ),
      );
      assert.deepEqual(ward.verifySeals().problems, [{ recordingId: rid, reason: why.problem }]);
      // the audit log's entries by the same key: the same sentence from the same helper
      const chain = ward.verifyAudit();
      assert.equal(chain.awaitingApproval?.keyId, deskKey);
      assert.equal(
        chain.reason,
        `entry ${chain.firstBadSeq} on is ${signedByPendingKey(deskKey, deskName, 'those entries are not verified')}`,
      );
      assert.equal(why.problem, `its seal is ${signedByPendingKey(deskKey, deskName, 'the seal is not verified')}`);

      // a workstation name that poses as part of the sentence is quoted (the workstations' role names its own key)
      tamper(`UPDATE workstation_keys SET workstation = E'desk", which is approved\nok' WHERE key_id = '${deskKey}'`);
      const posed = ward.sealStatus(rid)?.problem ?? '';
      assert.ok(posed.includes(`of workstation "desk\\", which is approved\\nok", which awaits approval`), posed);
      assert.ok(!posed.includes('\n'), 'no line break from the database');
      tamper(`UPDATE workstation_keys SET workstation = '${deskName}' WHERE key_id = '${deskKey}'`);

      // other damage is named first: the key awaiting approval still checks the record's integrity
      tamper(`UPDATE recordings SET device_name = 'swapped' WHERE id = ${rid}`);
      assert.match(ward.sealStatus(rid)?.problem ?? '', /^it was changed after signing \(recording differ/);
      tamper(`UPDATE recordings SET device_name = 'test' WHERE id = ${rid}`);
      const sig = c.psql('postgres', 'site_seals', `SELECT sig FROM record_seals WHERE recording_id = ${rid}`);
      assert.equal(sig.status, 0, sig.stderr);
      tamper(`UPDATE record_seals SET sig = '${Buffer.alloc(64).toString('base64')}' WHERE recording_id = ${rid}`);
      assert.equal(ward.sealStatus(rid)?.problem, 'its seal signature is not valid: the sealed document was altered');
      tamper(`UPDATE record_seals SET sig = '${sig.stdout.trim()}' WHERE recording_id = ${rid}`);
      assert.equal(ward.sealStatus(rid)?.problem, why.problem, 'restored: awaiting approval again');

      // approved by the owner: the seal and the entries verify
      owner.approveWorkstationKey(deskKey, { osAccount: 'test' });
      assert.deepEqual(ward.sealStatus(rid), { valid: true, problem: null });
      assert.equal(ward.verifyAudit().ok, true, ward.verifyAudit().reason ?? '');

      // a key never registered: still "not the workstation's"
      tamper(`UPDATE record_seals SET key_id = '${'0'.repeat(32)}' WHERE recording_id = ${rid}`);
      assert.equal(
        ward.sealStatus(rid)?.problem,
        `its seal is signed by key ${'0'.repeat(32)}, which is not the workstation's`,
      );
    } finally {
      desk.close();
      ward.close();
      owner.close();
    }
  });
});
