/**
 * The model cards → the few figures every result is shown beside (ModelFacts in api.ts). One
 * reading of the cards for the UI, the PDF and FHIR, so they cannot quote different numbers.
 *
 * The screen's sensitivity/specificity are the card's one-recording figures when it has them
 * (card schema 2: `evaluation.recordingScreen.all`, issue 11 §6); a schema-1 card gives its
 * per-patient figures, labelled so. `recognised` and `clinicianSummary` come from a schema-2 card,
 * else from the out-of-fold recall and a summary composed from the card's figures.
 */
import type { ClassName, ModelCard } from './api.js';
import type { FigureInterval, ModelFacts, SoundTypeFacts } from '../common/model-facts.js';
import { CLASS_LABELS } from '../common/classes.js';
import { SOUND_TYPES } from '../inference/sounds/types.js';
import type { SoundsCard } from '../inference/sounds/card.js';

const r2 = (x: number): string => x.toFixed(2);

function classFacts(card: ModelCard): ModelFacts['classes'] {
  return card.evaluation.fiveClass.perClass.map((c) => ({
    class: c.class,
    recall: c.recall,
    // Recall 0 out of fold: the model never named this class correctly; it is not offered as a finding.
    // A schema-2 card says so itself; a schema-1 card's recall decides.
    recognised: c.recognised ?? c.recall.value > 0,
  }));
}

function soundFacts(card: SoundsCard): NonNullable<ModelFacts['sounds']> {
  const types: SoundTypeFacts[] = SOUND_TYPES.map((type) => {
    const cv = card.evaluation.crossValidation[type].recording;
    const kauh = card.evaluation.kauh?.[type] ?? null;
    return {
      type,
      children: { sensitivity: cv.sensitivity.value, specificity: cv.specificity.value },
      adults: kauh ? { sensitivity: kauh.sensitivity.value, specificity: kauh.specificity.value } : null,
    };
  });
  return { name: card.name, version: card.version, types, limitations: card.limitations };
}

/** The plain-language summary: the card's own when it has one, else composed from its figures. */
function summary(card: ModelCard, screen: ModelFacts['screen'], classes: ModelFacts['classes']): string[] {
  const own = card.clinicianSummary?.trim();
  if (own) return own.split(/\n\s*\n/).map((p) => p.trim());
  const unrecognised = classes.filter((c) => !c.recognised).map((c) => CLASS_LABELS[c.class].toLowerCase());
  return [
    `What it is: decision support for lung auscultation. It gives a healthy-vs-abnormal screen and, less reliably, five disease probabilities. It is not a diagnosis.`,
    `The screen: "abnormal" when the probability of abnormal chest sounds reaches ${r2(screen.threshold)}; within ${r2(screen.margin)} of that it says "uncertain". Measured ${screen.basis}: it finds ${Math.round(screen.sensitivity.value * 100)} % of abnormal chests (sensitivity ${r2(screen.sensitivity.value)}, 95 % CI ${r2(screen.sensitivity.lo)}–${r2(screen.sensitivity.hi)}) and clears ${Math.round(screen.specificity.value * 100)} % of healthy ones (specificity ${r2(screen.specificity.value)}, ${r2(screen.specificity.lo)}–${r2(screen.specificity.hi)}).`,
    `The five classes are weak (balanced accuracy ${r2(card.evaluation.fiveClass.balancedAccuracy.value)}, where chance is 0.20).${unrecognised.length ? ` This model does not recognise ${unrecognised.join(' or ')}: it never named ${unrecognised.length > 1 ? 'them' : 'it'} correctly when tested.` : ''}`,
    `Trained on ${card.training.data.split(':')[0] ?? 'its training data'} (adults, one hospital, one stethoscope). Other devices, children and other settings are untested. Recordings that are not chest sounds, too short or of poor quality get no result.`,
  ];
}

export function modelFacts(card: ModelCard | null, soundsCard: SoundsCard | null): ModelFacts | null {
  if (!card) return null;
  // Lead with what one analysis of one recording achieves (card schema 2); a schema-1 card has only
  // per-patient figures, and says so beside every result.
  const one = card.evaluation.recordingScreen?.all;
  const s = one ?? card.evaluation.screen;
  const screen: ModelFacts['screen'] = {
    threshold: card.screen.threshold,
    margin: card.abstain.screenMargin,
    sensitivity: s.sensitivity,
    specificity: s.specificity,
    auroc: s.auroc,
    basis: one
      ? `for one analysis of one recording (${one.recordings} recordings of ${one.patients} patients, cross-validated)`
      : 'per patient (cross-validated; one recording alone does less well)',
  };
  const classes = classFacts(card);
  return {
    head: { name: card.name, version: card.version },
    screen,
    classes,
    balancedAccuracy: card.evaluation.fiveClass.balancedAccuracy,
    summary: summary(card, screen, classes),
    sounds: soundsCard ? soundFacts(soundsCard) : null,
  };
}

/** Whether the model recognises this class (recall above 0 out of fold); unknown card → false. */
export function recognises(facts: ModelFacts | null, c: ClassName): boolean {
  return facts?.classes.find((x) => x.class === c)?.recognised ?? false;
}

export type { FigureInterval };
