// Prompts for the workflows Rudder was built for. Each one walks an agent through read tools
// first, and through write tools only with the person's confirmation.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { GetPromptResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

const say = (description: string, text: string): GetPromptResult => ({
  description,
  messages: [{ role: 'user', content: { type: 'text', text } }],
});

const writeNote = (allowWrite: boolean) =>
  allowWrite
    ? 'Write tools never act on the first call: they return the plan and either ask me through the client or give you a confirmation token. Show me the plan and only confirm what I approve.'
    : 'This server is read-only (started without --allow-write): stop at a recommendation and tell me which write tool to run once writes are enabled.';

export function registerPrompts(server: McpServer, opts: { allowWrite: boolean }): void {
  server.registerPrompt(
    'drift_triage',
    {
      title: 'Drift triage',
      description:
        'Detect drift on a model, diagnose it, retrain if warranted, and roll the candidate out by canary.',
      argsSchema: { model: z.string().describe('The model to triage, e.g. churn') },
    },
    ({ model }) =>
      say(
        `Drift triage for ${model}`,
        [
          `Triage data drift on the model "${model}" with the Rudder tools.`,
          `1. Call drift_report for ${model} (or plan, whose observations carry the drift figures) and list the drifted features with their statistic and threshold.`,
          `2. Diagnose: call feature_freshness (is a source stale rather than drifted?) and dataset_summary for ${model} (nulls, quarantined rows). Say whether the drift is real, a data problem, or noise.`,
          `3. If retraining is warranted, call retrain for ${model}. Show me the plan it returns.`,
          `4. After the retrain, call compare_versions for ${model} and report the gates (beat the champion?) and metric deltas.`,
          `5. If the candidate waits for a rollout, call rollout_start (or promote) and then rollout_status.`,
          `6. Finish with history for ${model}: the commits made, by which actor.`,
          writeNote(opts.allowWrite),
        ].join('\n'),
      ),
  );

  server.registerPrompt(
    'stale_features',
    {
      title: 'Stale features',
      description:
        'Find feature views that are stale or behind their source, trace which models read them, and refresh them.',
      argsSchema: { view: z.string().optional().describe('One feature view (default: all)') },
    },
    ({ view }) =>
      say(
        'Stale features',
        [
          `Check feature freshness${view ? ` of the view "${view}"` : ''} with the Rudder tools.`,
          `1. Call feature_freshness${view ? ` with view "${view}"` : ''}. List views that are stale (the source stopped receiving data) or behind their source (not materialized).`,
          '2. For each, read the policies (resources rudder://policy/...) to find the models that read the view, and call status.',
          '3. A stale source cannot be fixed by Rudder: report it. For views behind their source, call refresh_features and show me the plan.',
          '4. Call feature_freshness again and report what changed.',
          writeNote(opts.allowWrite),
        ].join('\n'),
      ),
  );

  server.registerPrompt(
    'pii_sweep',
    {
      title: 'PII sweep',
      description:
        'Scan the data for PII, quarantine what the data policies say, and report (counts, never values).',
      argsSchema: { policy: z.string().optional().describe('One DataPolicy (default: all)') },
    },
    ({ policy }) =>
      say(
        'PII sweep',
        [
          `Sweep the feature sources for personal data${policy ? ` under the DataPolicy "${policy}"` : ''}.`,
          `1. Call scan_data${policy ? ` with policy "${policy}"` : ''} and show me the plan.`,
          '2. After it ran, call list_quarantines with status active and report each quarantine: view, column, detector, row count. Never ask for or print the values.',
          '3. For each model, call dataset_summary to show how many label rows the quarantines keep out of training.',
          '4. Recommend, per quarantine, whether to keep it or release it (release_quarantine needs a reason I give you).',
          writeNote(opts.allowWrite),
        ].join('\n'),
      ),
  );

  server.registerPrompt(
    'feature_ablation',
    {
      title: 'Feature ablation',
      description:
        'Train a variant of a model with another feature set on a branch and compare it with the champion; propose it as a pull request when it wins by a margin.',
      argsSchema: {
        model: z.string().describe('The champion model, e.g. churn'),
        features: z.string().describe('The change, e.g. "drop customer_activity:sessions_7d"'),
        margin: z.string().optional().describe('Required improvement of the primary metric, e.g. 0.01'),
      },
    },
    ({ model, features, margin }) =>
      say(
        `Feature ablation for ${model}`,
        [
          `Run a feature ablation on "${model}": ${features}.`,
          `1. Read the model's policy (resources rudder://policy/...) and write the variant: the same file with the feature list changed.`,
          '2. Call propose_policy_change with that file: it validates the change, commits it on a new branch and returns the plan of that branch (and opens a pull request when GitHub is configured).',
          `3. Compare: call compare_versions for ${model} once the variant is trained on its branch (CI applies the branch's plan), or report the plan if it is not trained yet.`,
          `4. If the variant beats the champion's primary metric by at least ${margin ?? 'the RetrainPolicy margin'}, say so and point to the pull request; otherwise summarise why it lost, and recommend closing the branch.`,
          writeNote(opts.allowWrite),
        ].join('\n'),
      ),
  );
}
