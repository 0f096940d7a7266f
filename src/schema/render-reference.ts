import { bundleSchema, policyKinds } from './schemas.ts';

type S = Record<string, unknown>;

/** docs/policies.md's field reference, generated from the schemas (descriptions and all). */
export function renderPolicyReference(): string {
  const out = [
    '# Policy reference',
    '',
    '<!-- Generated from src/schema/*.schema.json by `npm run docs`. Do not edit. -->',
    '',
    'Every document has `apiVersion: rudder.dev/v1alpha1`, a `kind`, `metadata` (`name`, and optionally `owner`, `description`, `labels`) and a `spec`. Documents can live in any `*.yaml`/`*.yml` file under the policy folder, several per file separated by `---`. Durations are an integer and a unit (`500ms`, `90s`, `15m`, `24h`, `30d`, `2w`); shares are a number in [0, 1] or a percentage string (`"25%"`). `rudder schema [kind]` prints these schemas for editors.',
    '',
  ];
  for (const kind of policyKinds) {
    const schema = bundleSchema(kind);
    const defs = schema.$defs as Record<string, S>;
    out.push(
      `## ${kind}`,
      '',
      typeof schema.description === 'string' ? schema.description : '',
      '',
      '| field | type | description |',
      '| --- | --- | --- |',
    );
    const spec = (schema.properties as Record<string, S>).spec!;
    walk(spec, 'spec', defs, out, 0);
    out.push('');
  }
  return out.join('\n');
}

function resolve(s: S, defs: Record<string, S>): S {
  let cur = s;
  for (let i = 0; i < 10 && typeof cur.$ref === 'string'; i++) {
    const target = defs[cur.$ref.split('/').pop()!]!;
    cur = { ...target, ...cur, $ref: undefined, description: cur.description ?? target.description };
  }
  return cur;
}

function typeOf(s: S, defs: Record<string, S>): string {
  const r = resolve(s, defs);
  if (r.const !== undefined) return `\`${JSON.stringify(r.const)}\``;
  if (Array.isArray(r.enum)) return (r.enum as unknown[]).map((e) => `\`${String(e)}\``).join(' \\| ');
  if (r.format === 'rudder-duration') return 'duration';
  if (r.format === 'rudder-percentage') return 'share';
  if (r.format === 'rudder-metric' || r.format === 'rudder-analysis-metric') return 'metric';
  if (r.type === 'array') return `list of ${typeOf((r.items ?? {}) as S, defs)}`;
  if (Array.isArray(r.type)) return (r.type as string[]).join(' \\| ');
  if (r.oneOf) return 'one of the variants below';
  return typeof r.type === 'string' ? r.type : 'any';
}

function walk(s: S, path: string, defs: Record<string, S>, out: string[], depth: number): void {
  if (depth > 6) return;
  const r = resolve(s, defs);
  if (r.oneOf) {
    for (const v of r.oneOf as S[]) {
      const branch = resolve(v, defs);
      const tag =
        ((branch.properties as Record<string, S> | undefined)?.type?.const as string | undefined) ?? '?';
      walk(branch, `${path} (type: ${tag})`, defs, out, depth + 1);
    }
    return;
  }
  const props = r.properties as Record<string, S> | undefined;
  if (props) {
    const required = new Set((r.required as string[] | undefined) ?? []);
    for (const [k, v] of Object.entries(props)) {
      const rv = resolve(v, defs);
      const p = `${path}.${k}`;
      out.push(
        `| \`${p}\`${required.has(k) ? ' (required)' : ''} | ${typeOf(v, defs)} | ${(typeof rv.description === 'string' ? rv.description : '').replace(/\|/g, '\\|')} |`,
      );
      if (rv.properties || rv.oneOf) walk(rv, p, defs, out, depth + 1);
      const items = rv.items ? resolve(rv.items as S, defs) : undefined;
      if (items && (items.properties || items.oneOf)) walk(items, `${p}[]`, defs, out, depth + 1);
    }
  }
}
