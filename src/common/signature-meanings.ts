/**
 * What an electronic signature means (21 CFR Part 11 §11.50: every signed record shows the printed
 * name of the signer, the date and time, and the meaning of the signature). The signer chooses one;
 * there is no default.
 */
export const SIGNATURE_MEANINGS = ['reviewed-agree', 'reviewed-differs', 'reviewed-insufficient'] as const;
export type SignatureMeaning = (typeof SIGNATURE_MEANINGS)[number];

/** How each meaning is printed wherever a signed record is shown (UI, PDF, FHIR). */
export const SIGNATURE_MEANING_TEXT: Record<SignatureMeaning, string> = {
  'reviewed-agree': 'Reviewed; I agree with the analysis',
  'reviewed-differs': 'Reviewed; my finding differs from the analysis',
  'reviewed-insufficient': 'Reviewed; the recording is not sufficient for a finding',
};
