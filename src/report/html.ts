// What every self-contained HTML report shares: escaping, and vega-lite charts drawn at build
// time by vega's headless View (`renderer: 'none'`, `toSVG()`) so the page needs no script.
import * as vega from 'vega';
import * as vl from 'vega-lite';

export const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A vega-lite spec as inline SVG. */
export async function toSvg(spec: vl.TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
