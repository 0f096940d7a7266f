// Which sample world a project reads: the root churn project, examples/fraud-abtest or
// examples/house-prices. `rudder sample-data` writes the data of the scenario it detects here
// (or the one named by --scenario).
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';

export const SCENARIOS = ['churn', 'fraud', 'house-prices'] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** rudder.yaml's metadata.name of each scenario's project. */
const PROJECT_NAMES: Record<string, Scenario> = {
  'acme-churn': 'churn',
  'payments-fraud': 'fraud',
  'house-prices': 'house-prices',
};

/** A file that only one scenario's policies read. */
const SIGNATURE_FILES: [string, Scenario][] = [
  ['data/churn_labels.csv', 'churn'],
  ['data/fraud_labels.parquet', 'fraud'],
  ['data/sales.csv', 'house-prices'],
];

export interface DetectedScenario {
  scenario: Scenario;
  /** How it was decided, for the message. */
  by: string;
}

/**
 * Pure: the scenario of a project from its name, else from the label files its policies read,
 * else churn (the root project, today's default).
 */
export function scenarioFor(
  projectName: string | undefined,
  policyTexts: readonly string[],
): DetectedScenario {
  const named = projectName == null ? undefined : PROJECT_NAMES[projectName];
  if (named) return { scenario: named, by: `project ${projectName}` };
  for (const [file, scenario] of SIGNATURE_FILES)
    if (policyTexts.some((t) => t.includes(file))) return { scenario, by: `policies read ${file}` };
  return { scenario: 'churn', by: 'default' };
}

/** Read rudder.yaml and the policy files under `root` (missing ones are no error) and detect. */
export async function detectScenario(root: string): Promise<DetectedScenario> {
  let name: string | undefined;
  let policies = 'policies';
  const project = await readFile(join(root, 'rudder.yaml'), 'utf8').catch(() => null);
  if (project != null) {
    try {
      const doc = parse(project) as { metadata?: { name?: unknown }; spec?: { policies?: unknown } } | null;
      if (typeof doc?.metadata?.name === 'string') name = doc.metadata.name;
      if (typeof doc?.spec?.policies === 'string') policies = doc.spec.policies;
    } catch {
      // An unreadable rudder.yaml is `rudder validate`'s to report; detect from the policies.
    }
  }
  const texts: string[] = [];
  const files = await readdir(join(root, policies), { recursive: true }).catch(() => [] as string[]);
  for (const f of files.sort())
    if (/\.ya?ml$/.test(f)) texts.push(await readFile(join(root, policies, f), 'utf8').catch(() => ''));
  return scenarioFor(name, texts);
}
