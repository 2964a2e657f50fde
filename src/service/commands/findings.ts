/**
 * Findings and sign-off (pulmonologists). A signed recording cannot be altered: a finding added
 * after sign-off is stored as an amendment, and a second sign-off is refused.
 */
import { checkPassword, refusal } from '../sign-in-guard.js';
import { ApiError } from '../errors.js';
import { audit, type CommandTable } from '../handler.js';
import { recordingDetail, toFinding, toSignOff, toSoundVerdict } from '../mappers.js';
import { requireRecording } from '../access.js';

export const findingsCommands: CommandTable<'findings.add' | 'findings.soundVerdict' | 'recordings.sign'> = {
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
  'findings.soundVerdict': {
    access: 'user',
    roles: ['pulmonologist'],
    audit: ['finding.sound-verdict'],
    run(deps, call, p) {
      return deps.store.tx(() => {
        const r = requireRecording(deps, call, p.recordingId);
        const d = recordingDetail(deps.store, r);
        // Only a current, not withheld analysis has sounds to judge.
        const event = d.analysis?.sounds?.events[p.eventIndex];
        if (!d.analysis || !event || r.analysisId === null)
          throw new ApiError(
            'NOT_FOUND',
            `Recording ${r.id} has no detected sound number ${p.eventIndex + 1} in its current analysis; reload the recording and try again.`,
          );
        const v = deps.store.recordings.addSoundVerdict({
          recordingId: r.id,
          analysisId: r.analysisId,
          soundType: event.type,
          eventIndex: p.eventIndex,
          startSec: event.startSec,
          endSec: event.endSec,
          verdict: p.verdict,
          authorId: call.user.id,
        });
        audit(deps, call, 'finding.sound-verdict', 'recording', r.id, {
          verdictId: v.id,
          analysisId: v.analysisId,
          type: v.soundType,
          eventIndex: v.eventIndex,
          startSec: v.startSec,
          endSec: v.endSec,
          verdict: v.verdict,
          amendment: v.isAmendment,
        });
        return toSoundVerdict(v);
      });
    },
  },
  'recordings.sign': {
    access: 'user',
    roles: ['pulmonologist'],
    audit: ['recording.sign', 'recording.sign.refused', 'user.credential'],
    async run(deps, call, p) {
      // Re-authentication in the signing dialog itself (21 CFR 11.200): the password, checked
      // before anything is read or written; a wrong one is audited and counts like a wrong sign-in.
      const c = await checkPassword(deps, call, call.user.username, p.password);
      if (!c.ok) {
        // FORBIDDEN, not UNAUTHENTICATED: the session stands (a transport drops the token on the latter).
        if (c.reason === 'locked-out') throw new ApiError('FORBIDDEN', refusal(c, call.user.username).message);
        const sealBroken = c.reason === 'credential-mismatch';
        deps.store.tx(() =>
          audit(deps, call, 'recording.sign.refused', 'recording', p.recordingId, {
            reason: sealBroken ? c.reason : 'wrong-password',
          }),
        );
        if (sealBroken) throw new ApiError('FORBIDDEN', refusal(c, call.user.username).message);
        throw new ApiError(
          'FORBIDDEN',
          'That is not your password, so the recording was not signed. Enter your own password to sign.',
        );
      }
      return deps.store.tx(() => {
        const r = requireRecording(deps, call, p.recordingId);
        if (r.signed)
          throw new ApiError(
            'SIGNED',
            `Recording ${r.id} was already signed by ${r.signedBy} at ${r.signedAt}; add an amendment instead.`,
          );
        const s = deps.store.signRecording({
          recordingId: r.id,
          userId: call.user.id,
          username: call.user.username,
          fullName: call.user.displayName,
          role: call.user.role,
          label: p.label,
          statement: p.statement,
          meaning: p.meaning,
        });
        // The seal's hash in the signed audit chain: the record is anchored there as well.
        // The statement and meaning as signed (issue 15: the entry held only the label).
        audit(deps, call, 'recording.sign', 'recording', r.id, {
          label: p.label,
          meaning: p.meaning,
          statement: p.statement,
          fullName: call.user.displayName,
          sealSha256: s.sealSha256,
          keyId: s.keyId,
        });
        return toSignOff(s.signoff, { valid: true, problem: null });
      });
    },
  },
};
