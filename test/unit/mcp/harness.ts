// A real MCP SDK client connected to the Rudder server over the SDK's in-memory transport, and
// the deterministic trainer the e2e tests use to keep training out of the timing.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import {
  ElicitRequestSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  type CallToolResult,
  type ElicitRequest,
  type ElicitResult,
} from '@modelcontextprotocol/sdk/types.js';
import { openArtifactStore } from '../../../src/artifacts/local.ts';
import type { Model } from '../../../src/compiler/desired-state.ts';
import { createRudderMcpServer, type RudderMcpOptions } from '../../../src/mcp/server.ts';
import { describeHoldout } from '../../../src/trainer/evaluation/holdout.ts';
import { readTrainingSet } from '../../../src/trainer/read-training-set.ts';
import { splitRows } from '../../../src/trainer/evaluation/split.ts';
import type { TrainInput } from '../../../src/trainer/trainer.ts';

export interface Harness {
  client: Client;
  tools: string[];
  /** Notification methods received, in order. */
  notifications: string[];
  elicitations: ElicitRequest['params'][];
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  close(): Promise<void>;
}

export async function connect(
  opts: RudderMcpOptions & {
    clientInfo?: { name: string; version: string };
    /** Declare form elicitation and answer each request with this. */
    elicit?: (req: ElicitRequest['params']) => ElicitResult;
  },
): Promise<Harness> {
  const logs: string[] = [];
  const { server, tools } = createRudderMcpServer({ log: (l) => logs.push(l), ...opts });
  const [serverSide, clientSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client(opts.clientInfo ?? { name: 'test-agent', version: '1.0.0' }, {
    capabilities: opts.elicit ? { elicitation: { form: {} } } : {},
  });
  const notifications: string[] = [];
  const elicitations: ElicitRequest['params'][] = [];
  if (opts.elicit) {
    const answer = opts.elicit;
    client.setRequestHandler(ElicitRequestSchema, (req) => {
      elicitations.push(req.params);
      return answer(req.params);
    });
  }
  client.setNotificationHandler(
    ResourceListChangedNotificationSchema,
    (n) => void notifications.push(n.method),
  );
  client.setNotificationHandler(
    ResourceUpdatedNotificationSchema,
    (n) => void notifications.push(`${n.method} ${n.params.uri}`),
  );
  await client.connect(clientSide);
  return {
    client,
    tools,
    notifications,
    elicitations,
    call: async (name, args = {}) => (await client.callTool({ name, arguments: args })) as CallToolResult,
    close: () => client.close(),
  };
}

export const structured = <T = Record<string, unknown>>(r: CallToolResult): T => r.structuredContent as T;

export const errorOf = (r: CallToolResult): { code: string; message: string; hint?: string } =>
  (r.structuredContent as { error: { code: string; message: string; hint?: string } }).error;

/**
 * Deterministic stand-in for tfjs: the n-th training scores `scores[n]` (the last one repeats),
 * re-scoring a version gives its training score (`championScore` for one this trainer did not train); logloss is 1 − score, so higher scores are better
 * on every metric. Same inputs, same artifact.
 */
export function fastTrainer(repo: string, scores: number | number[] = 0.8, championScore = 0.8) {
  const list = Array.isArray(scores) ? scores : [scores];
  let n = 0;
  // Re-scoring a version gives the score it was trained with (its artifact says which).
  const byArtifact = new Map<string, number>();
  const metricsOf = (model: Model, s: number) =>
    Object.fromEntries(model.metrics.map((m) => [m, m === 'logloss' ? 1 - s : s]));
  return {
    async train(input: TrainInput) {
      const s = list[Math.min(n++, list.length - 1)]!;
      const store = openArtifactStore(repo);
      const artifact = await store.putBytes(
        new TextEncoder().encode(`${input.model.digest}:${input.trainingSet.digest}:${input.seed}:${s}`),
      );
      byArtifact.set(artifact.digest, s);
      // The holdout the tfjs trainer would use (same split, same seed), so champion comparisons
      // find the rows neither version trained on exactly as they do for real versions.
      const data = await readTrainingSet(input.trainingSet, []);
      const split = splitRows(data.table.rows, input.model.split, input.seed);
      return {
        metrics: metricsOf(input.model, s),
        artifact,
        backend: 'test/fake',
        holdout: describeHoldout(split.holdout, data.labelTs, data.entityKeys),
        trainRows: input.trainingSet.rows,
        durationMs: 1,
      };
    },
    async evaluate(model: Model, artifact: { digest: string }) {
      return metricsOf(model, byArtifact.get(artifact.digest) ?? championScore);
    },
  };
}
