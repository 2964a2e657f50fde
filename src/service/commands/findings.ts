/**
 * Findings and sign-off (pulmonologists). A signed recording cannot be altered: a finding added
 * after sign-off is stored as an amendment, and a second sign-off is refused.
 */
import { ApiError } from '../errors.js';
import { audit, type CommandTable } from '../handler.js';
import { toFinding, toSignOff } from '../mappers.js';
import { requireRecording } from '../access.js';

export const findingsCommands: CommandTable<'findings.add' | 'recordings.sign'> = {
  'findings.add': {
    access: 'user',
    roles: ['pulmonologist'],
    audit: ['finding.add', 'finding.amend'],
    run(deps, call, p) {
      return deps.store.tx(() => {
        requireRecording(deps, call, p.recordingId);
        const f = deps.store.recordings.addFinding({
          recordingId: p.recordingId,
          authorId: call.user.id,
          authorRole: call.user.role,
          text: p.text,
          label: p.label ?? null,
        });
        audit(deps, call, f.isAmendment ? 'finding.amend' : 'finding.add', 'recording', p.recordingId, {
          findingId: f.id,
          label: f.label,
        });
        return toFinding(f);
      });
    },
  },
  'recordings.sign': {
    access: 'user',
    roles: ['pulmonologist'],
    audit: ['recording.sign'],
    run(deps, call, p) {
      return deps.store.tx(() => {
        const r = requireRecording(deps, call, p.recordingId);
        if (r.signed)
          throw new ApiError(
            'SIGNED',
            `Recording ${r.id} was already signed by ${r.signedBy} at ${r.signedAt}; add an amendment instead.`,
          );
        const s = deps.store.recordings.sign({
          recordingId: r.id,
          userId: call.user.id,
          label: p.label,
          statement: p.statement,
        });
        audit(deps, call, 'recording.sign', 'recording', r.id, { label: p.label });
        return toSignOff(s);
      });
    },
  },
};
