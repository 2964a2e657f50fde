/**
 * What every shown analysis must honour, whatever its state (issue 11): read the `data-result`
 * of the analysis section; ok/uncertain show the screen headline with its threshold and figures,
 * withheld/earlier-engine/none show a sentence and not one percentage, bar or screen word.
 */
import assert from 'node:assert/strict';
import type { Locator } from 'playwright-core';

export async function checkAnalysis(scope: Locator): Promise<string> {
  const section = scope.locator('section.analysis').first();
  await section.waitFor();
  const state = (await section.getAttribute('data-result')) ?? '';
  const text = await section.innerText();
  assert.match(state, /^(ok|uncertain|withheld|earlier-engine|none)$/, `analysis state "${state}"`);
  if (state === 'ok' || state === 'uncertain') {
    assert.match(text, /Probability of abnormal chest sounds \d+ % · abnormal from \d+ %/);
    // Five-class numbers for the classes the model recognises, or the sentence that it recognises none of them.
    const numbers = (await section.locator('[data-testid=probabilities]').textContent()) ?? '';
    if (!/\d+ %/.test(numbers)) assert.match(text, /This model does not recognise/);
    if (state === 'uncertain') assert.match(text, /Uncertain/);
  } else {
    assert.doesNotMatch(text, /\d+ %|Abnormal chest sounds likely|Sounds healthy/, `no figure when ${state}`);
    assert.equal(await section.locator('canvas').count(), 0, `no chart when ${state}`);
    assert.match(text, /withheld|earlier engine|Not analysed/);
  }
  assert.match(text, /About this model/);
  return state;
}
