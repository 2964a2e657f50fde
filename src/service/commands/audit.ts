/** The audit log: auditors read it; auditors and admins verify its hash chain. */
import { audit, type CommandTable } from '../handler.js';
import { auditObjectLabeller } from '../audit-labels.js';
import { toAuditEntry } from '../mappers.js';

export const auditCommands: CommandTable<'audit.list' | 'audit.verify'> = {
  'audit.list': {
    access: 'user',
    roles: ['auditor'],
    run(deps, _call, p) {
      const limit = p.limit ?? 100;
      const offset = p.offset ?? 0;
      const { limit: _l, offset: _o, ...filter } = p;
      const page = deps.store.audit.list(filter, limit, offset);
      const label = auditObjectLabeller(deps.store);
      const items = page.items.map((a) => {
        const e = toAuditEntry(a);
        return { ...e, objectLabel: label(e) };
      });
      return { items, total: page.total, limit, offset };
    },
  },
  'audit.verify': {
    access: 'user',
    roles: ['auditor', 'admin'],
    audit: ['audit.verify'],
    run(deps, call) {
      const result = deps.store.verifyAudit();
      // Recorded after the check, so the entry itself is covered by the next verification.
      deps.store.tx(() =>
        audit(deps, call, 'audit.verify', 'audit', null, {
          ok: result.ok,
          entries: result.entries,
          firstBadSeq: result.firstBadSeq,
        }),
      );
      return result;
    },
  },
};
