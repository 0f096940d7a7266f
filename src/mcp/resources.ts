// Read-only resources: the status, plans this server computed, lockfiles and policy files.
// Everything is looked up among what the API read (never a path built from the URI), so a URI
// cannot reach a file outside state/ or the policies.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import * as api from '../api/index.ts';
import { renderPlanJson } from '../api/index.ts';
import { lockDirs, lockNameOf, lockPath } from '../state/lock-paths.ts';
import type { AnyLock, LockKind, LockState } from '../state/types.ts';
import { planText, type PlanCache } from './tools/common.ts';

export interface ResourceOptions {
  cwd: string;
  policiesDir?: string;
  plans: PlanCache;
}

const KIND_BY_DIR = Object.fromEntries(Object.entries(lockDirs).map(([k, d]) => [d, k])) as Record<
  string,
  LockKind
>;

const allLocks = (s: LockState): AnyLock[] => [
  ...Object.values(s.models),
  ...Object.values(s.features),
  ...Object.values(s.rollouts),
  ...Object.values(s.data),
];

const notFound = (uri: string, hint: string): Error => new Error(`${uri}: not found. ${hint}`);

export function registerResources(server: McpServer, opts: ResourceOptions): void {
  registerStatus(server, opts);
  registerPlans(server, opts);
  registerLocks(server, opts);
  registerPolicies(server, opts);
}

function registerStatus(server: McpServer, opts: ResourceOptions): void {
  server.registerResource(
    'status',
    'rudder://status',
    {
      title: 'Rudder status',
      description: "Every resource's current state (JSON), as the status tool returns it.",
      mimeType: 'application/json',
    },
    async (uri): Promise<ReadResourceResult> => {
      const r = await api.status({ cwd: opts.cwd });
      const body = {
        project: r.project,
        policies: r.policies,
        resources: r.resources,
        applyLock: r.applyLock,
        uncommitted: r.git.uncommitted,
      };
      return {
        contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(body, null, 2) }],
      };
    },
  );
}

function registerPlans(server: McpServer, opts: ResourceOptions): void {
  server.registerResource(
    'plan',
    new ResourceTemplate('rudder://plan/{digest}', {
      list: () => ({
        resources: opts.plans.list().map((p) => ({
          uri: `rudder://plan/${p.digest}`,
          name: `plan ${p.digest.slice(7, 19)}`,
          mimeType: 'application/json',
        })),
      }),
    }),
    {
      title: 'Plan',
      description: 'A plan this server computed (plan tool or a write preview), as the plan file JSON.',
      mimeType: 'application/json',
    },
    (uri, vars): ReadResourceResult => {
      const digest = decodeURIComponent(String(vars.digest));
      const plan = opts.plans.get(digest);
      if (!plan)
        throw notFound(uri.href, 'Plans are kept in memory by the server that computed them; call plan.');
      return {
        contents: [
          { uri: uri.href, mimeType: 'application/json', text: renderPlanJson(plan) },
          { uri: `${uri.href}#text`, mimeType: 'text/plain', text: planText(plan) },
        ],
      };
    },
  );
}

function registerLocks(server: McpServer, opts: ResourceOptions): void {
  server.registerResource(
    'lock',
    new ResourceTemplate('rudder://lock/{kind}/{name}', {
      list: async () => {
        const r = await api.status({ cwd: opts.cwd });
        return {
          resources: allLocks(r.lock).map((l) => ({
            uri: `rudder://lock/${lockDirs[l.kind]}/${lockNameOf(l)}`,
            name: `${lockDirs[l.kind]}/${lockNameOf(l)}`,
            mimeType: 'application/yaml',
          })),
        };
      },
    }),
    {
      title: 'Lockfile',
      description:
        'A lockfile under state/: rudder://lock/models/churn, features/<view>, rollouts/<model>, data/<policy>.',
      mimeType: 'application/yaml',
    },
    async (uri, vars): Promise<ReadResourceResult> => {
      const kind = KIND_BY_DIR[String(vars.kind)];
      const name = decodeURIComponent(String(vars.name));
      const r = await api.status({ cwd: opts.cwd });
      const lock = kind && allLocks(r.lock).find((l) => l.kind === kind && lockNameOf(l) === name);
      if (!kind || !lock)
        throw notFound(
          uri.href,
          `Lockfiles: ${
            allLocks(r.lock)
              .map((l) => `${lockDirs[l.kind]}/${lockNameOf(l)}`)
              .join(', ') || 'none yet'
          }`,
        );
      const text = await readFile(join(opts.cwd, lockPath(r.stateDir, kind, name)), 'utf8');
      return { contents: [{ uri: uri.href, mimeType: 'application/yaml', text }] };
    },
  );
}

function registerPolicies(server: McpServer, opts: ResourceOptions): void {
  server.registerResource(
    'policy',
    new ResourceTemplate('rudder://policy/{+path}', {
      list: async () => {
        const v = await api.validate({ cwd: opts.cwd, policiesDir: opts.policiesDir, checkPaths: false });
        return {
          resources: [...v.sources.keys()].sort().map((p) => ({
            uri: `rudder://policy/${p}`,
            name: p,
            mimeType: 'application/yaml',
          })),
        };
      },
    }),
    {
      title: 'Policy file',
      description: 'A policy file as written (rudder.yaml or a file under the policy folder).',
      mimeType: 'application/yaml',
    },
    async (uri, vars): Promise<ReadResourceResult> => {
      const path = decodeURIComponent(String(vars.path));
      const v = await api.validate({ cwd: opts.cwd, policiesDir: opts.policiesDir, checkPaths: false });
      const text = v.sources.get(path);
      if (text == null) throw notFound(uri.href, `Policy files: ${[...v.sources.keys()].sort().join(', ')}`);
      return { contents: [{ uri: uri.href, mimeType: 'application/yaml', text }] };
    },
  );
}
