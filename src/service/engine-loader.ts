/**
 * Loading the analysis engine for a shell (Electron, `auscult serve`): the service's door to
 * src/inference, so the shells import only the service. Loaded lazily so a workstation without
 * models never loads onnxruntime.
 */
import type { AnalysisEnginePort } from './handler.js';

/** For `Workstation.open({ loadEngine })`: the default models folder, with progress lines to `log`. */
export function defaultEngineLoader(log: (line: string) => void): () => Promise<AnalysisEnginePort> {
  return async () => {
    const { AnalysisEngine } = await import('../inference/engine.js');
    return AnalysisEngine.load({ log });
  };
}
