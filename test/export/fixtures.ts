/** Plain-data recordings for the writers' tests (the shapes the store's export queries return). */
import type { ExportFindingRow, ExportRecordingRow } from '../../src/store/export-queries.js';

export function recordingRow(over: Partial<ExportRecordingRow> = {}): ExportRecordingRow {
  return {
    id: 41,
    patientId: 7,
    mrn: 'MRN-0007',
    givenName: 'Zoë',
    familyName: "O'Neil",
    birthDate: '1961-03-14',
    sex: 'female',
    site: 'posterior-left-lower',
    recordedAt: '2026-11-20T09:15:00.000Z',
    recordedBy: 'nurse.amal',
    deviceName: 'Littmann CORE Digital',
    sampleRate: 4000,
    durationSec: 20.5,
    status: 'recorded',
    fileName: 'rec-41.wav',
    wavSha256: 'a'.repeat(64),
    quality: 'good',
    analysis: {
      id: 90,
      createdAt: '2026-11-20T09:15:30.000Z',
      engineVersion: '0.1.0',
      headName: 'kauh-head',
      headVersion: '1.2.0',
      probabilities: { asthma: 0.12, copd: 0.61, pneumonia: 0.08, healthy: 0.11, bronchial: 0.08 },
      pAbnormal: 0.89,
      topClass: 'copd',
      status: 'ok',
      result: 'ok',
      statusReasons: [],
      sounds: { crackle: { present: true, probability: 0.71 }, wheeze: { present: false, probability: 0.08 } },
      resultJson: '',
    },
    signedAt: '2026-11-21T10:00:00.000Z',
    signedBy: 'dr.haddad',
    signLabel: 'copd',
    signStatement: 'Coarse crackles bilaterally; consistent with COPD exacerbation.',
    signerName: 'Dr Sami Haddad',
    signerRole: 'pulmonologist',
    signMeaning: 'reviewed-agree',
    ...over,
  };
}

export function findingRows(recordingId: number): ExportFindingRow[] {
  return [
    {
      id: 5,
      recordingId,
      author: 'dr.haddad',
      authorRole: 'pulmonologist',
      text: 'Expiratory wheeze, crackles at the base.',
      label: 'copd',
      createdAt: '2026-11-21T09:55:00.000Z',
      isAmendment: false,
    },
    {
      id: 6,
      recordingId,
      author: 'dr.haddad',
      authorRole: 'pulmonologist',
      text: 'Amendment: spirometry confirms obstruction.',
      label: null,
      createdAt: '2026-11-22T08:00:00.000Z',
      isAmendment: true,
    },
  ];
}
