// Data policies: scan (and act on findings) when a scanned view's source or the policy changed. Pure.
import { isViewError } from '../observe/observations.ts';
import { lockPath } from '../state/lock-paths.ts';
import { AFTER, short, type PlanContext } from './plan-context.ts';
import type { ActionOf, ActionReasonCodes, Reason } from './plan-types.ts';

export function planData(ctx: PlanContext): ActionOf<'data.scan'>[] {
  const actions: ActionOf<'data.scan'>[] = [];
  for (const dp of ctx.desired.dataPolicies) {
    const dl = ctx.lock.data[dp.name];
    const views: string[] = [];
    const reasons: Reason<ActionReasonCodes['data.scan']>[] = [];
    const scannedWith = dl?.policyDigest;
    const policyChanged = dl != null && scannedWith !== dp.digest;
    if (!dl) reasons.push({ code: 'never-scanned', message: 'never scanned' });
    else if (policyChanged)
      reasons.push({
        code: 'policy-changed',
        message: `policy changed (${short(scannedWith)} → ${short(dp.digest)})`,
      });
    for (const view of dp.views) {
      const o = ctx.obs.views[view];
      if (isViewError(o))
        ctx.blocked.push({
          kind: 'DataPolicy',
          name: dp.name,
          reason: `cannot scan ${view}: its source cannot be read`,
        });
      if (o == null || isViewError(o)) continue;
      const scan = dl?.scans.find((s) => s.view === view);
      if (!dl || policyChanged || !scan) views.push(view);
      else if (scan.sourceDigest !== o.sourceDigest) {
        views.push(view);
        reasons.push({ code: 'new-data', message: `${view}: source changed since the last scan` });
      }
    }
    if (views.length === 0) continue;
    if (dl && !policyChanged && reasons.length === 0)
      reasons.push({ code: 'unscanned-view', message: `${views.join(', ')} not scanned yet` });
    const path = lockPath(ctx.stateDir, 'DataLock', dp.name);
    actions.push({
      id: `data.scan:${dp.name}@${short(dp.digest)}`,
      type: 'data.scan',
      op: dl ? 'update' : 'create',
      resource: { kind: 'DataPolicy', name: dp.name },
      reasons: [
        ...reasons,
        {
          code: 'action',
          message: `${dp.detectors.join(', ')} on ${views.join(', ')}; findings → ${dp.action}`,
        },
      ],
      dependsOn: [],
      // Quarantine and hashing change what training reads.
      risk: dp.action === 'block' ? 'low' : 'medium',
      requiresApproval: false,
      destructive: false,
      changes: [
        { path, field: 'scans', to: `${views.join(', ')} ${AFTER}` },
        ...(dp.action === 'quarantine' ? [{ path, field: 'quarantines', to: AFTER }] : []),
      ],
      params: { policy: dp.name, policyDigest: dp.digest, views },
    });
  }
  return actions;
}
