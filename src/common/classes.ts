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

export function isClassName(value: string): value is ClassName {
  return (CLASS_ORDER as readonly string[]).includes(value);
}
