/** The head's five classes, in the order every model card, ONNX head, chart and export uses. */
export const CLASS_ORDER = ['asthma', 'copd', 'pneumonia', 'healthy', 'bronchial'] as const;
export type ClassName = (typeof CLASS_ORDER)[number];
export type ClassProbabilities = Record<ClassName, number>;

/** How each class is written for people (UI, PDF, FHIR display texts). */
export const CLASS_LABELS: Readonly<Record<ClassName, string>> = {
  asthma: 'Asthma',
  copd: 'COPD',
  pneumonia: 'Pneumonia',
  healthy: 'Healthy',
  bronchial: 'Bronchial disease',
};

/** One colour per class wherever classes are drawn (UI charts, PDF): the Okabe–Ito palette,
 *  distinguishable with every common colour-vision deficiency. */
export const CLASS_COLORS: Readonly<Record<ClassName, string>> = {
  asthma: '#E69F00',
  copd: '#0072B2',
  pneumonia: '#D55E00',
  healthy: '#009E73',
  bronchial: '#CC79A7',
};

export function isClassName(value: string): value is ClassName {
  return (CLASS_ORDER as readonly string[]).includes(value);
}
