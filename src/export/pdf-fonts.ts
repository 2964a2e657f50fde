/**
 * Fonts for the PDF report. DejaVu Sans (npm `dejavu-fonts-ttf`, embedded as a subset) covers Latin,
 * Greek and Cyrillic; Chinese, Japanese and Korean names need a CJK font, which is far too large to
 * ship (≈ 20 MB per weight), so it is found on the machine at run time: Noto Sans CJK (SIL Open
 * Font License 1.1; Debian/Ubuntu `fonts-noto-cjk`, Fedora `google-noto-sans-cjk-fonts`) or the
 * file `AUSCULT_CJK_FONT` names. pdfkit embeds only the glyphs used. Without one, a CJK name is
 * printed with a sentence saying which package to install, never as silent empty boxes.
 */
import { existsSync } from 'node:fs';

const REGULAR = [
  '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc',
  '/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc',
  '/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc',
  '/usr/share/fonts/google-noto-sans-cjk-fonts/NotoSansCJK-Regular.ttc',
];

/** Han, kana, hangul, CJK punctuation and full-width forms: what DejaVu Sans has no glyphs for. */
const CJK =
  /[\u1100-\u11FF\u2E80-\u2FDF\u3000-\u30FF\u3100-\u31FF\u3200-\u9FFF\uA960-\uA97F\uAC00-\uD7FF\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFFEF\u{20000}-\u{3FFFF}]/u;

export const needsCjk = (text: string): boolean => CJK.test(text);

export interface CjkFont {
  path: string;
  /** The face inside a collection (.ttc), e.g. the simplified-Chinese one; undefined for a single font. */
  family: string | undefined;
  boldPath: string | null;
}

let found: CjkFont | null | undefined;

/** The CJK font to embed, or null when the machine has none (looked up once). */
export function cjkFont(): CjkFont | null {
  if (found !== undefined) return found;
  const env = process.env['AUSCULT_CJK_FONT'];
  const path = env && existsSync(env) ? env : REGULAR.find((p) => existsSync(p));
  if (!path) return (found = null);
  const ttc = path.endsWith('.ttc');
  const bold = path.replace('Regular', 'Bold');
  found = {
    path,
    family: ttc ? 'NotoSansCJKsc-Regular' : undefined,
    boldPath: bold !== path && existsSync(bold) ? bold : null,
  };
  return found;
}

export const CJK_MISSING =
  'Some characters of this name cannot be printed: no CJK font is installed on this workstation (install fonts-noto-cjk).';
