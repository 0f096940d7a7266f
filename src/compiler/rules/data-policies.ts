import { quote } from '../../diagnostics/diagnostic.ts';
import { suggestion } from '../../util/did-you-mean.ts';
import type { CompileContext } from '../context.ts';

/** Scopes and allow-lists must name real views and columns. */
export function dataPolicyReferencesExist(ctx: CompileContext): void {
  for (const p of ctx.dataPolicies) {
    const seen = new Map<string, number>();
    p.views.forEach((v, i) => {
      const path = ['spec', 'scope', 'views', i];
      if (!ctx.views.has(v) && !ctx.broken.has(`FeatureView/${v}`))
        ctx.report({
          code: 'data/unknown-view',
          origin: p.origin,
          path,
          message: `DataPolicy ${quote(p.name)} scans unknown feature view ${quote(v)}`,
          hint: suggestion(v, ctx.views.keys()),
        });
      if (seen.has(v))
        ctx.report({
          code: 'data/duplicate-view',
          origin: p.origin,
          path,
          message: `view ${quote(v)} is listed twice in ${quote(p.name)}'s scope`,
          hint: 'Remove the repeated view.',
        });
      seen.set(v, i);
    });
    p.allow.forEach((a, i) => {
      const path = ['spec', 'allow', i];
      const view = ctx.views.get(a.view);
      if (!view) {
        if (!ctx.broken.has(`FeatureView/${a.view}`))
          ctx.report({
            code: 'data/unknown-view',
            origin: p.origin,
            path: [...path, 'view'],
            message: `allow entry names unknown feature view ${quote(a.view)}`,
            hint: suggestion(a.view, ctx.views.keys()),
          });
        return;
      }
      if (!p.views.includes(a.view))
        ctx.report({
          code: 'data/unknown-view',
          severity: 'warning',
          origin: p.origin,
          path: [...path, 'view'],
          message: `allow entry names view ${quote(a.view)}, which is outside this policy's scope`,
          hint: `Add ${a.view} to spec.scope.views, or remove the entry.`,
        });
      const cols = view.features.flatMap((f) => [f.column, f.name]);
      if (!cols.includes(a.column) && !view.entities.includes(a.column) && view.source.timestamp !== a.column)
        ctx.report({
          code: 'data/unknown-column',
          origin: p.origin,
          path: [...path, 'column'],
          message: `view ${quote(a.view)} has no column ${quote(a.column)}`,
          hint: suggestion(
            a.column,
            view.features.map((f) => f.column),
          ),
        });
    });
  }
}

/** Source paths stay inside the repository (existence is checked at the I/O edge). */
export function sourcePathsStayInside(ctx: CompileContext): void {
  const check = (origin: { file: string; doc: number }, path: (string | number)[], p: string) => {
    if (escapes(p))
      ctx.report({
        code: 'path/escapes-repository',
        origin,
        path,
        message: `source path ${quote(p)} leaves the repository`,
        hint: 'Source paths are relative to the repository root and may not use an absolute path or climb out with "..".',
      });
  };
  for (const v of ctx.views.values()) check(v.origin, ['spec', 'source', 'path'], v.source.path);
  for (const m of ctx.models.values())
    check(m.origin, ['spec', 'label', 'source', 'path'], m.label.source.path);
}

function escapes(p: string): boolean {
  if (p.startsWith('/') || p.startsWith('\\') || /^[A-Za-z]:/.test(p) || p.includes('\0')) return true;
  let depth = 0;
  for (const seg of p.replace(/\\/g, '/').split('/')) {
    if (seg === '..') depth--;
    else if (seg !== '' && seg !== '.') depth++;
    if (depth < 0) return true;
  }
  return false;
}
