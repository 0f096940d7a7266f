// data.scan: run a DataPolicy's PII detectors over its views, act on the findings (quarantine
// records, hashing and dropping happen when data is read) and record the scans in its data lock.
import { withLock } from '../../state/lock-state.ts';
import type { PiiScanResult, QuarantineRecord } from '../../store/port.ts';
import type { ActionHandler } from '../handler.ts';
import { dataLockAfter } from '../transitions.ts';

export interface DataScanOutcome {
  policy: string;
  policyDigest: string;
  scan: PiiScanResult & { quarantines: QuarantineRecord[] };
}

export const dataScanHandler: ActionHandler<'data.scan', DataScanOutcome> = {
  async run(a, ctx) {
    const policy = ctx.desired.dataPolicies.find((p) => p.name === a.params.policy);
    if (!policy) throw new Error(`data policy ${a.params.policy} is not in the policies`);
    const views = ctx.desired.featureViews.filter((v) => policy.views.includes(v.name));
    const scan = await ctx.withDataPolicies((d) => d.applyDataPolicy(policy, views));
    return { policy: policy.name, policyDigest: policy.digest, scan };
  },
  lockAfter(lock, o, _a, meta) {
    const policy = { name: o.policy, digest: o.policyDigest };
    return withLock(lock, dataLockAfter(lock.data[o.policy], policy, o.scan, meta.at, meta.prov));
  },
  summary(o) {
    const found = o.scan.findings.filter((f) => !f.allowed);
    const q = o.scan.quarantines.length;
    return `${o.scan.scannedRows} rows scanned; ${found.length ? found.map((f) => `${f.view}.${f.column}: ${f.rows} ${f.detector}`).join(', ') : 'no disallowed PII'}${q ? `; ${q} quarantine record(s)` : ''}`;
  },
  subject: (o) => `scan ${o.policy}`,
};
