/**
 * The figures every result is shown beside (the screen's threshold and measured sensitivity and
 * specificity, which classes the model recognises, the plain-language summary, the sound
 * detector's figures). The service reads them from the model cards (src/service/model-facts.ts);
 * the UI, the PDF and FHIR quote these, so they cannot differ. Types only.
 */
import type { ClassName } from './classes.js';

/** A measured figure with its 95 % interval (over patients). */
export interface FigureInterval {
  value: number;
  lo: number;
  hi: number;
}
/** What one sound type's detector achieves, as its card measured it (recording level). */
export interface SoundTypeFacts {
  type: 'crackle' | 'wheeze';
  /** SPRSound children, patient-grouped cross-validation. */
  children: { sensitivity: number | null; specificity: number | null };
  /** KAUH adults, another hospital and stethoscope, at the children's thresholds. */
  adults: { sensitivity: number | null; specificity: number | null } | null;
}
/**
 * The figures every result is shown beside, read once from the model cards by the service
 * (src/service/model-facts.ts) so the UI, the PDF and FHIR quote the same numbers.
 */
export interface ModelFacts {
  head: { name: string; version: string };
  screen: {
    threshold: number;
    /** The "uncertain" band is threshold ± margin. */
    margin: number;
    sensitivity: FigureInterval;
    specificity: FigureInterval;
    auroc: FigureInterval;
    /** What the figures count: "one analysis of one recording" or "per patient". */
    basis: string;
  };
  /** The five classes, with the out-of-fold recall that says whether the model recognises each. */
  classes: Array<{ class: ClassName; recall: FigureInterval; recognised: boolean }>;
  balancedAccuracy: FigureInterval;
  /** The card's plain-language summary for clinicians, a few sentences. */
  summary: string[];
  sounds: { name: string; version: string; types: SoundTypeFacts[]; limitations: string[] } | null;
}
