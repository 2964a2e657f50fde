/**
 * Issue 17's gap, closed: the workstations' database password is not enough to add a trusted
 * signing key. A key registered with that password (through the driver, as Auscult does, or psql)
 * is registered awaiting approval; entries it signs do not verify until the site database's owner
 * approves it; the workstations' role can neither register a key approved nor approve one; an
 * approved key cannot be changed, not even by the owner.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Store } from '../../src/store/index.js';
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
});
