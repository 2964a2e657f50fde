/**
 * Where the shell finds its files. `appPath` is app.getAppPath(): the project folder in
 * development, `<resources>/app.asar` when packaged. Native code (onnxruntime) cannot read
 * inside an asar archive, so the models ship unpacked (electron-builder.yml asarUnpack) and the
 * models folder is the unpacked one.
 */
import { join } from 'node:path';

export interface ShellPaths {
  rendererDir: string;
  preload: string;
  icon: string;
  modelsDir: string;
}

export function shellPaths(appPath: string, isPackaged: boolean): ShellPaths {
  const unpacked = isPackaged ? appPath.replace(/app\.asar$/, 'app.asar.unpacked') : appPath;
  return {
    rendererDir: join(appPath, 'dist', 'renderer'),
    preload: join(appPath, 'dist', 'preload', 'preload.cjs'),
    icon: join(appPath, 'assets', 'icon.png'),
    modelsDir: join(unpacked, 'models'),
  };
}
