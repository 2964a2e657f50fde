/**
 * FHIR R4 Bundles for the hospital record: one per patient or per recording. A Bundle of type
 * "collection" holds the Patient, the practitioners (our users), the stethoscope and the software
 * as Devices, and per recording: a Media (the WAV, embedded or by relative URL, with its SHA-1 as
 * FHIR's Attachment.hash asks), one Observation per class probability plus the abnormal screen
 * (method = engine and head version, device = the software), the pulmonologist's findings and
 * sign-off as Observations, and a Provenance naming who recorded, who signed and what produced it.
 *
 * Ids are derived from our database ids (stable across re-exports, so a receiving system can
 * update rather than duplicate). Detected sounds carry SNOMED CT (wheeze 24612001, crackles
 * 48409008); the rest is local (`urn:auscult:*`) with human-readable text: there is no standard
 * code for a model's class probability. The analysis's figures go out only for a current 'ok' or
 * 'uncertain' result (src/common/result-state.ts); a withheld analysis, or one by an engine before
 * the competence gate, is one Observation with a dataAbsentReason and no value. Machine output is
 * `preliminary` until the recording is signed, `final` after.
 */
import { createHash } from 'node:crypto';
import { CLASS_ORDER, type ClassName } from '../common/classes.js';
import type { ExportFindingRow, ExportRecordingRow } from '../store/export-queries.js';
import { RESULT_STATE_SENTENCES } from '../common/result-state.js';
import type { SoundType } from '../inference/sounds/types.js';

/** How each class reads inside a sentence ("Probability of a healthy chest"). */
const CLASS_TEXT: Record<ClassName, string> = {
  asthma: 'asthma',
  copd: 'COPD',
  pneumonia: 'pneumonia',
  healthy: 'a healthy chest',
  bronchial: 'bronchial disease',
};
const SYS = {
  mrn: 'urn:auscult:mrn',
  user: 'urn:auscult:user',
  obs: 'urn:auscult:observation',
  site: 'urn:auscult:chest-site',
  label: 'urn:auscult:finding-label',
  model: 'urn:auscult:model',
  obsCategory: 'http://terminology.hl7.org/CodeSystem/observation-category',
  mediaType: 'http://terminology.hl7.org/CodeSystem/media-type',
  participant: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type',
  ucum: 'http://unitsofmeasure.org',
  snomed: 'http://snomed.info/sct',
  absent: 'http://terminology.hl7.org/CodeSystem/data-absent-reason',
} as const;

export type FhirResource = { resourceType: string; id: string } & Record<string, unknown>;
export interface FhirBundle {
  resourceType: 'Bundle';
  id: string;
  meta: { lastUpdated: string };
  type: 'collection';
  timestamp: string;
  entry: { fullUrl: string; resource: FhirResource }[];
}

export interface FhirRecordingInput {
  row: ExportRecordingRow;
  findings: ExportFindingRow[];
  /** The WAV's bytes (for its SHA-1 and size, and the data when embedded). */
  wav: Buffer | null;
  /** Embed the WAV as base64, or reference it by this relative URL (a file beside the bundle). */
  wavUrl: string | null;
  /** The analysis's screen label and reasons when known (from the stored result). */
  screenLabel?: 'abnormal' | 'healthy' | 'uncertain' | null;
  /** Detected adventitious sounds (only present ones), from the stored result. */
  sounds?: DetectedSound[];
}

/** One detected sound type of a recording: its recording-level probability and its events. */
export interface DetectedSound {
  type: SoundType;
  probability: number;
  events: { startSec: number; endSec: number; probability: number }[];
}

/** SNOMED CT findings for the detector's two types. */
const SOUND_SNOMED: Record<SoundType, { code: string; display: string }> = {
  wheeze: { code: '24612001', display: 'Wheeze' },
  crackle: { code: '48409008', display: 'Crackles' },
};

function soundObservation(row: ExportRecordingRow, s: DetectedSound, common: Record<string, unknown>): FhirResource {
  const snomed = SOUND_SNOMED[s.type];
  const covered = s.events.reduce((t, e) => t + (e.endSec - e.startSec), 0);
  const where = s.events.map((e) => `${e.startSec.toFixed(1)}–${e.endSec.toFixed(1)} s`).join(', ');
  return {
    resourceType: 'Observation',
    id: fid('rec', row.id, 'sound', s.type),
    ...common,
    code: {
      coding: [
        { system: SYS.snomed, code: snomed.code, display: snomed.display },
        { system: SYS.obs, code: `sound-${s.type}`, display: `Detected ${s.type}` },
      ],
      text: `${snomed.display} detected by the sound model (decision support; check by ear)`,
    },
    valueQuantity: {
      value: Math.round(s.probability * 1e4) / 1e4,
      unit: 'probability',
      system: SYS.ucum,
      code: '1',
    },
    note: [{ text: `${snomed.display} in ${covered.toFixed(1)} of ${row.durationSec.toFixed(1)} s: ${where}.` }],
  };
}

export interface FhirBundleOptions {
  exportedAt: string;
  /** The identifier system for MRNs (a hospital sets its own; ours is a placeholder URN). */
  mrnSystem?: string;
}

/** A stable UUID (RFC 4122 layout, name-based via SHA-256) for urn:uuid fullUrls. */
export function stableUuid(name: string): string {
  const h = createHash('sha256')
    .update('auscult:' + name)
    .digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** FHIR ids allow [A-Za-z0-9-.]{1,64}. */
function fid(...parts: (string | number)[]): string {
  return parts
    .join('-')
    .replace(/[^A-Za-z0-9.-]/g, '-')
    .slice(0, 64);
}

/** FHIR dateTime/instant need a time zone when they have a time; our ISO strings end in Z. */
function instant(iso: string): string {
  return new Date(iso).toISOString();
}

class BundleBuilder {
  private readonly entries = new Map<string, { fullUrl: string; resource: FhirResource }>();
  add(r: FhirResource): string {
    const key = `${r.resourceType}/${r.id}`;
    if (!this.entries.has(key)) this.entries.set(key, { fullUrl: `urn:uuid:${stableUuid(key)}`, resource: r });
    return this.entries.get(key)!.fullUrl;
  }
  ref(resourceType: string, id: string): { reference: string } {
    return { reference: `urn:uuid:${stableUuid(`${resourceType}/${id}`)}` };
  }
  list(): { fullUrl: string; resource: FhirResource }[] {
    return [...this.entries.values()];
  }
}

/** A Practitioner named by their printed full name (the signer's, as at signing), else the username. */
function practitioner(
  b: BundleBuilder,
  username: string,
  fullName: string | null = null,
): { reference: string; display: string } {
  const id = fid('user', username);
  const display = fullName ?? username;
  b.add({
    resourceType: 'Practitioner',
    id,
    identifier: [{ system: SYS.user, value: username }],
    name: [{ text: display }],
  });
  return { ...b.ref('Practitioner', id), display };
}

function patientResource(
  b: BundleBuilder,
  row: ExportRecordingRow,
  mrnSystem: string,
): { reference: string; display: string } {
  const id = fid('patient', row.patientId);
  const r: FhirResource = {
    resourceType: 'Patient',
    id,
    identifier: [{ use: 'usual', system: mrnSystem, value: row.mrn }],
    name: [{ use: 'official', family: row.familyName, given: [row.givenName] }],
    gender: (['female', 'male', 'other', 'unknown'] as const).find((g) => g === row.sex) ?? 'unknown',
  };
  if (row.birthDate) r['birthDate'] = row.birthDate;
  b.add(r);
  return { ...b.ref('Patient', id), display: `${row.familyName}, ${row.givenName}` };
}

function softwareDevice(b: BundleBuilder, row: ExportRecordingRow): { reference: string; display: string } | null {
  const a = row.analysis;
  if (!a) return null;
  const id = fid('software', a.engineVersion, a.headName, a.headVersion);
  b.add({
    resourceType: 'Device',
    id,
    deviceName: [{ name: 'Auscult lung-sound analysis', type: 'manufacturer-name' }],
    type: { text: 'Decision-support software (lung auscultation classifier)' },
    version: [
      { type: { text: 'engine' }, value: a.engineVersion },
      { type: { text: 'classifier head' }, value: `${a.headName} ${a.headVersion}` },
    ],
  });
  return { ...b.ref('Device', id), display: `Auscult ${a.engineVersion} / ${a.headName} ${a.headVersion}` };
}

function stethoscope(b: BundleBuilder, name: string): { reference: string; display: string } {
  const id = fid('stethoscope', createHash('sha256').update(name).digest('hex').slice(0, 16));
  b.add({
    resourceType: 'Device',
    id,
    deviceName: [{ name, type: 'user-friendly-name' }],
    type: { text: 'Electronic stethoscope' },
  });
  return { ...b.ref('Device', id), display: name };
}

function addRecording(
  b: BundleBuilder,
  input: FhirRecordingInput,
  patient: { reference: string; display: string },
): void {
  const { row } = input;
  const signed = row.signedAt !== null;
  const siteConcept = { coding: [{ system: SYS.site, code: row.site }], text: `Chest: ${row.site.replace(/-/g, ' ')}` };
  const recorder = practitioner(b, row.recordedBy);
  const steth = stethoscope(b, row.deviceName);
  const targets: { reference: string }[] = [];

  const mediaId = fid('recording', row.id);
  const content: Record<string, unknown> = {
    contentType: 'audio/wav',
    title: row.fileName,
    creation: instant(row.recordedAt),
  };
  if (input.wav) {
    content['size'] = input.wav.length;
    content['hash'] = createHash('sha1').update(input.wav).digest('base64');
    if (!input.wavUrl) content['data'] = input.wav.toString('base64');
  }
  if (input.wavUrl) content['url'] = input.wavUrl;
  targets.push({
    reference: b.add({
      resourceType: 'Media',
      id: mediaId,
      identifier: [{ system: 'urn:auscult:wav-sha256', value: row.wavSha256 }],
      status: 'completed',
      type: { coding: [{ system: SYS.mediaType, code: 'audio', display: 'Audio' }] },
      subject: patient,
      createdDateTime: instant(row.recordedAt),
      operator: recorder,
      bodySite: siteConcept,
      deviceName: row.deviceName,
      device: steth,
      duration: Math.round(row.durationSec * 1000) / 1000,
      note: [
        {
          text: `Lung auscultation, ${row.sampleRate} Hz, status ${row.status}${row.quality ? `, signal quality ${row.quality}` : ''}.`,
        },
      ],
      content,
    }),
  });
  const media = b.ref('Media', mediaId);

  const software = softwareDevice(b, row);
  const a = row.analysis;
  const analysisRefs: { reference: string }[] = [];
  if (a && software) {
    const method = {
      coding: [
        { system: SYS.model, code: a.headName, version: a.headVersion, display: `${a.headName} ${a.headVersion}` },
      ],
      text: `Auscult ${a.engineVersion}: YAMNet embeddings and classifier head ${a.headName} ${a.headVersion}`,
    };
    // Machine output stays preliminary until a pulmonologist signs the recording.
    const common = {
      status: signed ? 'final' : 'preliminary',
      category: [{ coding: [{ system: SYS.obsCategory, code: 'exam', display: 'Exam' }] }],
      subject: patient,
      effectiveDateTime: instant(row.recordedAt),
      issued: instant(a.createdAt),
      bodySite: siteConcept,
      method,
      device: software,
      derivedFrom: [media],
    };
    const screenCode = {
      coding: [{ system: SYS.obs, code: 'p-abnormal', display: 'Probability that the chest sounds abnormal' }],
      text: 'Healthy-vs-abnormal screen (decision support, not a diagnosis)',
    };
    if (a.result === 'withheld' || a.result === 'earlier-engine' || !a.probabilities || a.pAbnormal === null) {
      // No figure exists (withheld) or may be given as current (an earlier engine's was never gated):
      // one Observation that says so, with no value at all.
      const why =
        a.result === 'withheld'
          ? `${RESULT_STATE_SENTENCES.withheld}${a.statusReasons.length ? ` ${a.statusReasons.join('; ')}.` : ''}`
          : RESULT_STATE_SENTENCES['earlier-engine'];
      analysisRefs.push({
        reference: b.add({
          resourceType: 'Observation',
          id: fid('rec', row.id, 'screen'),
          ...common,
          code: screenCode,
          dataAbsentReason: {
            coding: [{ system: SYS.absent, code: 'not-performed', display: 'Not Performed' }],
            text: why,
          },
          interpretation: [{ coding: [{ system: SYS.obs, code: `result-${a.result}` }], text: why }],
        }),
      });
    } else {
      const quantity = (p: number) => ({
        value: Math.round(p * 1e4) / 1e4,
        unit: 'probability',
        system: SYS.ucum,
        code: '1',
      });
      for (const c of CLASS_ORDER) {
        const id = fid('rec', row.id, 'p', c);
        analysisRefs.push({
          reference: b.add({
            resourceType: 'Observation',
            id,
            ...common,
            code: {
              coding: [{ system: SYS.obs, code: `p-${c}`, display: `Probability of ${CLASS_TEXT[c]}` }],
              text: `Model probability of ${CLASS_TEXT[c]} (decision support, not a diagnosis)`,
            },
            valueQuantity: quantity(a.probabilities[c]),
          }),
        });
      }
      const screen: FhirResource = {
        resourceType: 'Observation',
        id: fid('rec', row.id, 'screen'),
        ...common,
        code: screenCode,
        valueQuantity: quantity(a.pAbnormal),
      };
      const label = a.result === 'uncertain' ? 'uncertain' : (input.screenLabel ?? null);
      if (label)
        screen['interpretation'] = [
          {
            coding: [{ system: SYS.obs, code: `screen-${label}` }],
            text:
              label === 'uncertain'
                ? `Uncertain${a.statusReasons.length ? `: ${a.statusReasons.join('; ')}` : ''}`
                : `Screen: ${label}`,
          },
        ];
      analysisRefs.push({ reference: b.add(screen) });
      for (const finding of input.sounds ?? []) {
        analysisRefs.push({ reference: b.add(soundObservation(row, finding, common)) });
      }
    }
  }
  targets.push(...analysisRefs);

  for (const f of input.findings) {
    const author = practitioner(b, f.author);
    const obs: FhirResource = {
      resourceType: 'Observation',
      id: fid('finding', f.id),
      status: f.isAmendment ? 'amended' : signed ? 'final' : 'preliminary',
      category: [{ coding: [{ system: SYS.obsCategory, code: 'exam', display: 'Exam' }] }],
      code: {
        coding: [{ system: SYS.obs, code: 'finding' }],
        text: f.isAmendment ? 'Amendment to the auscultation finding' : 'Auscultation finding (clinician)',
      },
      subject: patient,
      effectiveDateTime: instant(row.recordedAt),
      issued: instant(f.createdAt),
      performer: [author],
      bodySite: siteConcept,
      valueString: f.text,
      derivedFrom: [media, ...analysisRefs],
    };
    if (f.label) obs['interpretation'] = [{ coding: [{ system: SYS.label, code: f.label }], text: f.label }];
    targets.push({ reference: b.add(obs) });
  }
  let signer: { reference: string; display: string } | null = null;
  if (signed && row.signedBy && row.signLabel) {
    signer = practitioner(b, row.signedBy, row.signerName);
    targets.push({
      reference: b.add({
        resourceType: 'Observation',
        id: fid('signoff', row.id),
        status: 'final',
        category: [{ coding: [{ system: SYS.obsCategory, code: 'exam', display: 'Exam' }] }],
        code: { coding: [{ system: SYS.obs, code: 'signed-finding' }], text: 'Signed auscultation finding' },
        subject: patient,
        effectiveDateTime: instant(row.recordedAt),
        issued: instant(row.signedAt!),
        performer: [signer],
        bodySite: siteConcept,
        valueString: row.signStatement ?? '',
        interpretation: [{ coding: [{ system: SYS.label, code: row.signLabel }], text: row.signLabel }],
        derivedFrom: [media, ...analysisRefs],
      }),
    });
  }
  const agents: Record<string, unknown>[] = [
    { type: { coding: [{ system: SYS.participant, code: 'performer', display: 'Performer' }] }, who: recorder },
  ];
  if (software)
    agents.push({
      type: { coding: [{ system: SYS.participant, code: 'assembler', display: 'Assembler' }] },
      who: software,
    });
  if (signer)
    agents.push({
      type: { coding: [{ system: SYS.participant, code: 'verifier', display: 'Verifier' }] },
      who: signer,
    });
  b.add({
    resourceType: 'Provenance',
    id: fid('provenance', row.id),
    target: targets,
    occurredDateTime: instant(row.recordedAt),
    recorded: instant(row.signedAt ?? a?.createdAt ?? row.recordedAt),
    agent: agents,
    entity: [{ role: 'source', what: media }],
  });
}

/**
 * One Bundle for one patient's recordings (all rows must be that patient's; one row = the
 * per-recording bundle).
 */
export function buildFhirBundle(recordings: FhirRecordingInput[], opts: FhirBundleOptions): FhirBundle {
  if (recordings.length === 0) throw new Error('a FHIR bundle needs at least one recording');
  const first = recordings[0]!.row;
  if (recordings.some((r) => r.row.patientId !== first.patientId)) throw new Error('a FHIR bundle holds one patient');
  const b = new BundleBuilder();
  const patient = patientResource(b, first, opts.mrnSystem ?? SYS.mrn);
  for (const r of recordings) addRecording(b, r, patient);
  const key = recordings.length === 1 ? `recording-${first.id}` : `patient-${first.patientId}`;
  return {
    resourceType: 'Bundle',
    id: fid('bundle', key, Date.parse(opts.exportedAt)),
    meta: { lastUpdated: instant(opts.exportedAt) },
    type: 'collection',
    timestamp: instant(opts.exportedAt),
    entry: b.list(),
  };
}
