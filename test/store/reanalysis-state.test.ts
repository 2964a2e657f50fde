/**
 * What a history re-analysis reads of a recording's newest analysis (Recordings.reanalysisState)
 * out of its stored result JSON — the head's, YAMNet's and the sound detector's identity — is the
 * same on both engines, whatever the JSON holds there: SQLite's json_extract gives a number as a
 * number, PostgreSQL's gives it as text, so a version stored as a number read as "no version" on
 * SQLite and as that number's text on a site (where it could pass for the installed model's).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ENGINES,
  openTestStore,
  sampleAnalysis,
  seedPatient,
  seedRecording,
  seedUser,
  stopTestClusters,
  tamper,
} from './helpers.js';

after(stopTestClusters);

const models = { head: { sha256: 'h'.repeat(64) }, yamnet: { sha256: 'y'.repeat(64) } };
const stored = (sounds: unknown) => JSON.stringify({ models, sounds });

/**
 * Stored result JSON → what the state's identity fields read (null where nothing usable is there).
 * `damaged`: written past the triggers (which read the JSON), as only damage to the file would.
 */
const CASES: { name: string; json: string; damaged?: true; want: Record<string, string | null> }[] = [
  {
    name: 'a detector result',
    json: stored({ model: { name: 'sounds-lr', version: '2', sha256: 's' } }),
    want: { headSha256: 'h'.repeat(64), yamnetSha256: 'y'.repeat(64), soundsName: 'sounds-lr', soundsVersion: '2' },
  },
  {
    name: 'a version stored as a number',
    json: stored({ model: { name: 'sounds-lr', version: 2, sha256: 's' } }),
    want: { headSha256: 'h'.repeat(64), yamnetSha256: 'y'.repeat(64), soundsName: 'sounds-lr', soundsVersion: null },
  },
  {
    name: 'a name and version stored as true and an object',
    json: stored({ model: { name: true, version: { major: 2 } } }),
    want: { headSha256: 'h'.repeat(64), yamnetSha256: 'y'.repeat(64), soundsName: null, soundsVersion: null },
  },
  {
    name: 'models stored as an array and a detector model as text',
    json: JSON.stringify({ models: [models], sounds: { model: 'sounds-lr 2' } }),
    want: { headSha256: null, yamnetSha256: null, soundsName: null, soundsVersion: null },
  },
  {
    name: 'a version stored as null, a name with characters beyond ASCII',
    json: stored({ model: { name: 'sons-é-λ', version: null } }),
    want: { headSha256: 'h'.repeat(64), yamnetSha256: 'y'.repeat(64), soundsName: 'sons-é-λ', soundsVersion: null },
  },
  {
    name: 'no detector result',
    json: stored(null),
    want: { headSha256: 'h'.repeat(64), yamnetSha256: 'y'.repeat(64), soundsName: null, soundsVersion: null },
  },
  {
    name: 'damaged JSON',
    json: '{"models": {"head": ',
    damaged: true,
    want: { headSha256: null, yamnetSha256: null, soundsName: null, soundsVersion: null },
  },
];

for (const engine of ENGINES)
  test(`[${engine}] a re-analysis reads the models' identity from the stored result the same way on either engine`, async (t) => {
    const store = await openTestStore(engine, t);
    if (!store) return;
    try {
      const u = seedUser(store);
      const p = seedPatient(store, 'MRN-1', 'Ann', 'Lee', u);
      const ids = CASES.map((c) => {
        const id = seedRecording(store, p, u);
        const a = store.tx(() =>
          store.recordings.addAnalysis(id, { ...sampleAnalysis(), resultJson: c.damaged ? '{}' : c.json }),
        );
        if (c.damaged) tamper(store, `UPDATE analyses SET result_json = '${c.json}' WHERE id = ${a}`);
        return id;
      });
      const listed = new Map([...store.recordings.reanalysisStates()].map((s) => [s.id, s]));
      CASES.forEach((c, i) => {
        for (const s of [listed.get(ids[i]!), store.recordings.reanalysisState(ids[i]!)]) {
          const cur = s?.current;
          assert.ok(cur, `${c.name}: the analysis is read`);
          assert.deepEqual(
            {
              headSha256: cur.headSha256,
              yamnetSha256: cur.yamnetSha256,
              soundsName: cur.soundsName,
              soundsVersion: cur.soundsVersion,
            },
            c.want,
            c.name,
          );
          assert.equal(cur.headVersion, '1', `${c.name}: the analysis row's own columns are read whatever the JSON`);
        }
      });
    } finally {
      store.close();
    }
  });
