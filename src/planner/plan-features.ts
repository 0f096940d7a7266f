// Feature views: materialize when never done, when the definition changed, or on new data. Pure.
import { isViewError } from '../observe/observations.ts';
import { formatDuration } from '../schema/vocabulary.ts';
import { lockPath } from '../state/lock-paths.ts';
import { AFTER, formatAge, short, type PlanContext } from './plan-context.ts';
import type { ActionOf, ActionReasonCodes, Reason } from './plan-types.ts';

export function planFeatures(ctx: PlanContext): ActionOf<'feature.materialize'>[] {
  const actions: ActionOf<'feature.materialize'>[] = [];
  for (const v of ctx.desired.featureViews) {
    const o = ctx.obs.views[v.name];
    if (isViewError(o)) {
      ctx.blocked.push({
        kind: 'FeatureView',
        name: v.name,
        reason: `its source cannot be read: ${o.error}`,
      });
      continue;
    }
    if (o == null) continue;
    const fl = ctx.lock.features[v.name];
    const reasons: Reason<ActionReasonCodes['feature.materialize']>[] = [];
    if (!fl) reasons.push({ code: 'never-materialized', message: 'never materialized' });
    else {
      if (fl.viewDigest !== v.digest)
        reasons.push({
          code: 'definition-changed',
          message: `definition changed (${short(fl.viewDigest)} → ${short(v.digest)})`,
        });
      if (fl.sourceDigest !== o.sourceDigest) {
        if (v.freshness.refresh === 'auto' || reasons.length > 0 || ctx.refresh?.has(v.name) === true)
          reasons.push({
            code: 'new-data',
            message: `source changed (${o.rows} rows, newest event ${o.newestEvent ?? 'none'}; materialized up to ${fl.watermark ?? 'none'})`,
          });
        else ctx.notes.push(`FeatureView ${v.name}: the source has new data, but refresh is manual.`);
      }
    }
    // The lock says materialized; the store must agree. A deleted .rudder/ (or another machine's
    // empty store) holds no online table: rebuild it rather than trust the lock.
    const online = o.online;
    const lost =
      fl != null &&
      reasons.length === 0 &&
      online !== undefined &&
      (online === null || online.viewDigest !== fl.viewDigest || online.watermark !== fl.watermark);
    if (lost)
      reasons.push({
        code: 'online-missing',
        message:
          online === null
            ? `the online table is missing from the feature store (the lock says materialized up to ${fl.watermark ?? 'none'}): rebuild it`
            : `the online table holds ${online.watermark ?? 'nothing'}, not the locked watermark ${fl.watermark ?? 'none'}: rebuild it`,
      });
    if (o.rows === 0)
      ctx.notes.push(
        `FeatureView ${v.name}: the source holds no rows (${v.source.path}); models reading it get nulls, and their training-set checks will refuse them.`,
      );
    if (o.newestEvent != null) {
      const age = ctx.now - Date.parse(o.newestEvent);
      if (age > v.freshness.maxAgeMs)
        ctx.notes.push(
          `FeatureView ${v.name}: newest event is ${formatAge(age)} old (maxAge ${formatDuration(v.freshness.maxAgeMs)}); materializing cannot make it fresher — check the pipeline that writes ${v.source.path}.`,
        );
    }
    if (reasons.length === 0) continue;
    const path = lockPath(ctx.stateDir, 'FeatureLock', v.name);
    actions.push({
      id: `feature.materialize:${v.name}@${short(v.digest)}`,
      type: 'feature.materialize',
      op: fl ? 'update' : 'create',
      resource: { kind: 'FeatureView', name: v.name },
      reasons,
      dependsOn: [],
      risk: 'low',
      requiresApproval: false,
      destructive: false,
      changes: [
        ...(fl?.viewDigest !== v.digest
          ? [{ path, field: 'viewDigest', from: fl ? short(fl.viewDigest) : undefined, to: short(v.digest) }]
          : []),
        {
          path,
          field: 'sourceDigest',
          from: fl ? short(fl.sourceDigest) : undefined,
          to: short(o.sourceDigest),
        },
        { path, field: 'watermark', from: fl?.watermark ?? undefined, to: AFTER },
      ],
      params: {
        view: v.name,
        viewDigest: v.digest,
        sourceDigest: o.sourceDigest,
        since: fl && fl.viewDigest === v.digest && !lost ? fl.watermark : null,
      },
    });
  }
  return actions;
}
