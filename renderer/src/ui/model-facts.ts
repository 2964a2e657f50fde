/**
 * The figures every result is shown beside (ModelFacts from model.info), loaded once per page:
 * the screen's threshold and measured sensitivity/specificity, which classes the model recognises,
 * the card's plain-language summary, the sound detector's figures.
 */
import type { ApiClient, ModelFacts } from '../../../src/service/api';

let cached: Promise<ModelFacts | null> | null = null;

export function loadModelFacts(api: ApiClient): Promise<ModelFacts | null> {
  cached ??= api.call('model.info', {}).then(
    (info) => info.facts,
    () => {
      cached = null; // try again next time
      return null;
    },
  );
  return cached;
}

export const f2 = (x: number | null): string => (x === null ? '—' : x.toFixed(2));
