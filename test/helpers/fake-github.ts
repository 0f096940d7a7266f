// A GitHub REST API stand-in on 127.0.0.1 for tests. Every request is checked against GitHub's
// published OpenAPI description (@octokit/openapi): the method and path must match an operation,
// path and query parameters and the JSON body must validate against that operation's schemas
// (ajv), or the request is answered 4xx and recorded as a violation. Comments, pull requests,
// refs and statuses live in memory; with `gitDir`, refs and merges are those of a real bare
// repository (the test's origin), so `git push` and the API see the same branches.
//
// Only the description's paths are indexed up front; an operation's schemas are dereferenced
// and compiled the first time a request reaches it.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { Ajv, type ValidateFunction } from 'ajv';
import * as ajvFormats from 'ajv-formats';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = Record<string, unknown>;

interface Spec {
  paths: Record<string, Record<string, Obj>>;
  components: Record<string, Record<string, unknown>>;
}

let spec: Spec | undefined;
let matchers: { template: string; re: RegExp; names: string[] }[] | undefined;

/** Parse GitHub's description once per process (about 0.2 s) and index its paths. */
function loadSpec(): Spec {
  if (spec) return spec;
  const require = createRequire(import.meta.url);
  const file = require.resolve('@octokit/openapi/generated/api.github.com.json');
  spec = JSON.parse(readFileSync(file, 'utf8')) as Spec;
  matchers = Object.keys(spec.paths).map((template) => {
    const names: string[] = [];
    const re = new RegExp(
      `^${template
        .split(/(\{[^}]+\})/)
        .map((part) => {
          const m = /^\{([^}]+)\}$/.exec(part);
          if (!m) return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
          names.push(m[1]!);
          // `git/ref/{ref}` takes slashes (heads/feature/x); other parameters are one segment.
          return m[1] === 'ref' || m[1] === 'path' ? '(.+)' : '([^/]+)';
        })
        .join('')}$`,
    );
    return { template, re, names };
  });
  return spec;
}

function deref(node: unknown, seen: string[] = []): unknown {
  if (Array.isArray(node)) return node.map((n) => deref(n, seen));
  if (node == null || typeof node !== 'object') return node;
  const o = node as Obj;
  if (typeof o.$ref === 'string') {
    const ref = o.$ref;
    if (seen.includes(ref)) return {}; // a recursive schema: accept anything below the cycle
    const target = ref
      .replace(/^#\//, '')
      .split('/')
      .reduce<unknown>((acc, k) => (acc as Obj)[k.replace(/~1/g, '/').replace(/~0/g, '~')], loadSpec());
    return deref(target, [...seen, ref]);
  }
  const out: Obj = {};
  for (const [k, v] of Object.entries(o)) if (k !== 'example' && k !== 'examples') out[k] = deref(v, seen);
  return out;
}

interface Param {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  validate: ValidateFunction;
}
interface CompiledOp {
  operationId: string;
  template: string;
  method: string;
  params: Param[];
  body?: { required: boolean; validate: ValidateFunction };
}

const addFormats = ((ajvFormats as unknown as { default?: unknown }).default ?? ajvFormats) as (
  a: Ajv,
) => Ajv;
let ajvBody: Ajv | undefined;
let ajvParam: Ajv | undefined;
const compiled = new Map<string, CompiledOp>();

function ajvs(): { body: Ajv; param: Ajv } {
  if (!ajvBody || !ajvParam) {
    const make = (coerce: boolean) => {
      const a = new Ajv({ strict: false, allErrors: true, coerceTypes: coerce, logger: false });
      addFormats(a);
      a.addFormat('repo.nwo', /^[\w.-]+\/[\w.-]+$/);
      a.addFormat('uri-template', true);
      return a;
    };
    ajvBody = make(false);
    ajvParam = make(true);
  }
  return { body: ajvBody, param: ajvParam };
}

function compileOp(template: string, method: string): CompiledOp | undefined {
  const key = `${method} ${template}`;
  const hit = compiled.get(key);
  if (hit) return hit;
  const item = loadSpec().paths[template]!;
  const op = item[method.toLowerCase()];
  if (!op) return undefined;
  const a = ajvs();
  const params = [
    ...((item.parameters as unknown as unknown[]) ?? []),
    ...((op.parameters as unknown[]) ?? []),
  ].map((p) => {
    const d = deref(p) as { name: string; in: Param['in']; required?: boolean; schema?: unknown };
    // Wrapped in an object so that ajv can coerce the string from the URL in place.
    const wrapped = { type: 'object', properties: { value: d.schema ?? {} } };
    return { name: d.name, in: d.in, required: d.required, validate: a.param.compile(wrapped) };
  });
  const rb = op.requestBody ? (deref(op.requestBody) as { required?: boolean; content?: Obj }) : undefined;
  const schema = (rb?.content?.['application/json'] as { schema?: unknown } | undefined)?.schema;
  const c: CompiledOp = {
    operationId: op.operationId as string,
    template,
    method,
    params,
    body: schema ? { required: rb?.required ?? false, validate: a.body.compile(schema) } : undefined,
  };
  compiled.set(key, c);
  return c;
}

function errorsText(v: ValidateFunction, where: string): string {
  return (v.errors ?? [])
    .map((e) => `${where}${e.instancePath.replace(/^\/value/, '')} ${e.message ?? ''}`.trim())
    .join('; ');
}

export interface FakeComment {
  id: number;
  body: string;
  user: string;
  created_at: string;
  updated_at: string;
}
export interface FakePull {
  number: number;
  title: string;
  body: string | null;
  head: string;
  base: string;
  draft: boolean;
  state: 'open' | 'closed';
  merged: boolean;
  merge_commit_sha: string | null;
  head_sha: string;
}
interface Issue {
  number: number;
  title: string;
  comments: FakeComment[];
}
export interface FakeRequest {
  method: string;
  path: string;
  operationId?: string;
  status: number;
  body?: unknown;
  authorization?: string;
}
export interface FakeFailure {
  /** `METHOD operationId` or a predicate; default: the next request of any kind. */
  match?: (r: { method: string; operationId: string }) => boolean;
  status: number;
  kind?: 'secondary-rate-limit' | 'rate-limit' | 'error';
  message?: string;
  times?: number;
}

export interface FakeGitHubOptions {
  owner: string;
  repo: string;
  /** The only token accepted (else 401 Bad credentials). */
  token: string;
  /** A token that can read but not write (403 Resource not accessible by integration). */
  readOnlyToken?: string;
  defaultBranch?: string;
  /** A bare repository whose refs are the repository's refs (pushes land there). */
  gitDir?: string;
  /** The login the token belongs to (comment authors). */
  login?: string;
}

const DOCS = 'https://docs.github.com/rest';

/** A GitHub REST API on 127.0.0.1 that keeps comments, refs and pulls in memory. */
export class FakeGitHub {
  readonly requests: FakeRequest[] = [];
  /** Requests that GitHub's description rejects: a test expects this to stay empty. */
  readonly violations: string[] = [];
  readonly statuses: { sha: string; state: string; description?: string; context: string }[] = [];
  private readonly issues = new Map<number, Issue>();
  private readonly pulls = new Map<number, FakePull>();
  private readonly memRefs = new Map<string, string>();
  private readonly failures: FakeFailure[] = [];
  private nextNumber = 1;
  private nextCommentId = 1000;
  private server?: Server;
  url = '';

  constructor(readonly opts: FakeGitHubOptions) {}

  async start(): Promise<this> {
    loadSpec();
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        this.violations.push(`internal: ${(e as Error).stack ?? String(e)}`);
        send(res, 500, { message: 'fake-github internal error' });
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** An issue (or the issue side of a pull request) with `count` comments already on it. */
  addIssue(title = 'An issue', count = 0, user = 'someone'): number {
    const number = this.nextNumber++;
    const issue: Issue = { number, title, comments: [] };
    this.issues.set(number, issue);
    for (let i = 0; i < count; i++) this.addComment(number, `comment ${i + 1}`, user);
    return number;
  }

  addComment(issue: number, body: string, user = 'someone'): FakeComment {
    const at = new Date(Date.UTC(2026, 0, 1) + this.nextCommentId * 1000).toISOString();
    const c = { id: this.nextCommentId++, body, user, created_at: at, updated_at: at };
    this.issues.get(issue)!.comments.push(c);
    return c;
  }

  comments(issue: number): FakeComment[] {
    return this.issues.get(issue)?.comments ?? [];
  }

  pull(n: number): FakePull | undefined {
    return this.pulls.get(n);
  }

  allPulls(): FakePull[] {
    return [...this.pulls.values()];
  }

  /** Answer the next matching request(s) with an error instead. */
  failNext(f: FakeFailure): void {
    this.failures.push({ times: 1, ...f });
  }

  clearFailures(): void {
    this.failures.length = 0;
  }

  // ── refs: the bare repository when there is one, else memory ──

  private refSha(ref: string): string | undefined {
    if (!this.opts.gitDir) return this.memRefs.get(ref);
    try {
      return execFileSync('git', ['rev-parse', '--verify', '--quiet', `refs/${ref}^{commit}`], {
        cwd: this.opts.gitDir,
        encoding: 'utf8',
      }).trim();
    } catch {
      return undefined;
    }
  }

  private setRef(ref: string, sha: string): void {
    if (!this.opts.gitDir) this.memRefs.set(ref, sha);
    else execFileSync('git', ['update-ref', `refs/${ref}`, sha], { cwd: this.opts.gitDir });
  }

  private git(...args: string[]): string {
    return execFileSync('git', args, { cwd: this.opts.gitDir, encoding: 'utf8' }).trim();
  }

  // ── the request loop ──

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    const record: FakeRequest = {
      method,
      path: url.pathname + url.search,
      status: 0,
      authorization: req.headers.authorization,
    };
    this.requests.push(record);
    const reply = (status: number, body: Json | undefined, headers: Record<string, string> = {}) => {
      record.status = status;
      send(res, status, body, headers);
    };
    const invalid = (status: number, message: string) => {
      this.violations.push(`${method} ${url.pathname}: ${message}`);
      reply(status, { message, documentation_url: DOCS });
    };

    // 1. The operation, by method and path template.
    loadSpec();
    let found: { template: string; params: Record<string, string> } | undefined;
    for (const m of matchers!) {
      const hit = m.re.exec(url.pathname);
      if (!hit || !loadSpec().paths[m.template]![method.toLowerCase()]) continue;
      const params: Record<string, string> = {};
      m.names.forEach((n, i) => (params[n] = decodeURIComponent(hit[i + 1]!)));
      // Prefer a literal segment over a parameter (`/issues/comments/1` vs `/issues/{issue_number}/…`).
      if (!found || m.names.length < Object.keys(found.params).length)
        found = { template: m.template, params };
    }
    if (!found) return invalid(404, `no GitHub operation for ${method} ${url.pathname}`);
    const op = compileOp(found.template, method)!;
    record.operationId = op.operationId;

    // 2. Parameters and body against the operation's schemas.
    const problems: string[] = [];
    const query = Object.fromEntries(url.searchParams);
    const known = new Set(op.params.filter((p) => p.in === 'query').map((p) => p.name));
    for (const k of Object.keys(query))
      if (!known.has(k)) problems.push(`query parameter ${k} is not a parameter of ${op.operationId}`);
    for (const p of op.params) {
      if (p.in === 'header') continue;
      const v = p.in === 'path' ? found.params[p.name] : query[p.name];
      if (v == null) {
        if (p.required) problems.push(`${p.in} parameter ${p.name} is required`);
        continue;
      }
      if (!p.validate({ value: v })) problems.push(errorsText(p.validate, `${p.in} parameter ${p.name}`));
    }
    let body: unknown;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw);
      } catch {
        return invalid(400, 'Problems parsing JSON');
      }
      record.body = body;
    }
    if (op.body) {
      if (body === undefined && op.body.required) problems.push('a JSON body is required');
      else if (body !== undefined && !op.body.validate(body))
        problems.push(errorsText(op.body.validate, 'body'));
    } else if (body !== undefined && method !== 'GET') problems.push(`${op.operationId} takes no body`);
    if (problems.length > 0)
      return invalid(
        found.template.includes('{') && problems.some((p) => p.startsWith('path')) ? 404 : 422,
        problems.join('; '),
      );

    // 3. Authentication, as GitHub answers it.
    const auth = req.headers.authorization ?? '';
    const token = /^(?:token|bearer)\s+(.+)$/i.exec(auth)?.[1];
    if (token !== this.opts.token && token !== this.opts.readOnlyToken)
      return reply(401, { message: 'Bad credentials', documentation_url: DOCS, status: '401' });

    // 4. Injected failures (rate limits, errors).
    const fi = this.failures.findIndex((f) => f.match?.({ method, operationId: op.operationId }) ?? true);
    if (fi >= 0) {
      const f = this.failures[fi]!;
      if (--f.times! <= 0) this.failures.splice(fi, 1);
      if (f.kind === 'secondary-rate-limit')
        return reply(
          f.status,
          {
            message:
              'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
            documentation_url: `${DOCS}/overview/rate-limits-for-the-rest-api`,
          },
          { 'retry-after': '1' },
        );
      if (f.kind === 'rate-limit')
        return reply(
          f.status,
          { message: 'API rate limit exceeded', documentation_url: DOCS },
          {
            'x-ratelimit-remaining': '0',
            'x-ratelimit-reset': String(Math.floor(Date.now() / 1000)),
          },
        );
      return reply(f.status, { message: f.message ?? 'Injected failure', documentation_url: DOCS });
    }

    // 5. The repository.
    const { owner, repo } = found.params;
    if (owner != null && (owner !== this.opts.owner || repo !== this.opts.repo))
      return reply(404, { message: 'Not Found', documentation_url: DOCS, status: '404' });
    if (method !== 'GET' && token === this.opts.readOnlyToken)
      return reply(403, {
        message: 'Resource not accessible by integration',
        documentation_url: DOCS,
        status: '403',
      });

    const r = this.route(op.operationId, found.params, query, (body ?? {}) as Obj);
    return reply(r.status, r.body, r.headers);
  }

  private route(
    operationId: string,
    params: Record<string, string>,
    query: Record<string, string>,
    body: Obj,
  ): { status: number; body?: Json; headers?: Record<string, string> } {
    const notFound = { status: 404, body: { message: 'Not Found', documentation_url: DOCS } };
    const base = `${this.url}/repos/${this.opts.owner}/${this.opts.repo}`;
    const html = `https://github.com/${this.opts.owner}/${this.opts.repo}`;
    const user = { login: this.opts.login ?? 'github-actions[bot]', id: 41898282, type: 'Bot' };
    const comment = (c: FakeComment, issue: number): Json => ({
      id: c.id,
      node_id: `IC_${c.id}`,
      url: `${base}/issues/comments/${c.id}`,
      html_url: `${html}/issues/${issue}#issuecomment-${c.id}`,
      issue_url: `${base}/issues/${issue}`,
      body: c.body,
      user: { ...user, login: c.user },
      created_at: c.created_at,
      updated_at: c.updated_at,
      author_association: 'NONE',
    });
    const pullJson = (p: FakePull): Json => ({
      id: 5000 + p.number,
      number: p.number,
      url: `${base}/pulls/${p.number}`,
      html_url: `${html}/pull/${p.number}`,
      state: p.state,
      title: p.title,
      body: p.body,
      draft: p.draft,
      merged: p.merged,
      merge_commit_sha: p.merge_commit_sha,
      head: {
        ref: p.head,
        sha: this.refSha(`heads/${p.head}`) ?? p.head_sha,
        label: `${this.opts.owner}:${p.head}`,
      },
      base: { ref: p.base, sha: this.refSha(`heads/${p.base}`) ?? '', label: `${this.opts.owner}:${p.base}` },
      user,
    });
    const tooLong = (b: string) =>
      b.length > 65536
        ? {
            status: 422,
            body: {
              message: 'Validation Failed',
              errors: [
                {
                  resource: 'IssueComment',
                  code: 'custom',
                  field: 'body',
                  message: 'body is too long (maximum is 65536 characters)',
                },
              ],
              documentation_url: DOCS,
            },
          }
        : undefined;

    switch (operationId) {
      case 'repos/get':
        return {
          status: 200,
          body: {
            id: 1,
            name: this.opts.repo,
            full_name: `${this.opts.owner}/${this.opts.repo}`,
            default_branch: this.opts.defaultBranch ?? 'main',
          },
        };
      case 'issues/list-comments': {
        const issue = this.issues.get(Number(params.issue_number));
        if (!issue) return notFound;
        const perPage = Math.min(100, Number(query.per_page ?? 30));
        const page = Number(query.page ?? 1);
        const all = issue.comments;
        const pages = Math.max(1, Math.ceil(all.length / perPage));
        const link = (n: number, rel: string) =>
          `<${base}/issues/${issue.number}/comments?per_page=${perPage}&page=${n}>; rel="${rel}"`;
        const links = [
          ...(page < pages ? [link(page + 1, 'next'), link(pages, 'last')] : []),
          ...(page > 1 ? [link(1, 'first'), link(page - 1, 'prev')] : []),
        ];
        return {
          status: 200,
          body: all.slice((page - 1) * perPage, page * perPage).map((c) => comment(c, issue.number)),
          headers: links.length ? { link: links.join(', ') } : {},
        };
      }
      case 'issues/create-comment': {
        const issue = this.issues.get(Number(params.issue_number));
        if (!issue) return notFound;
        const b = body.body as string;
        const bad = tooLong(b);
        if (bad) return bad;
        const c = this.addComment(issue.number, b, user.login);
        return { status: 201, body: comment(c, issue.number) };
      }
      case 'issues/update-comment': {
        const id = Number(params.comment_id);
        for (const issue of this.issues.values()) {
          const c = issue.comments.find((x) => x.id === id);
          if (!c) continue;
          const b = body.body as string;
          const bad = tooLong(b);
          if (bad) return bad;
          c.body = b;
          c.updated_at = new Date().toISOString();
          return { status: 200, body: comment(c, issue.number) };
        }
        return notFound;
      }
      case 'repos/create-commit-status': {
        this.statuses.push({
          sha: params.sha!,
          state: body.state as string,
          description: body.description as string | undefined,
          context: (body.context as string | undefined) ?? 'default',
        });
        return {
          status: 201,
          body: {
            id: this.statuses.length,
            state: body.state as string,
            context: (body.context as string) ?? 'default',
          },
        };
      }
      case 'git/get-ref': {
        const sha = this.refSha(params.ref!);
        if (!sha) return notFound;
        return {
          status: 200,
          body: {
            ref: `refs/${params.ref}`,
            url: `${base}/git/refs/${params.ref}`,
            object: { sha, type: 'commit' },
          },
        };
      }
      case 'git/create-ref': {
        const ref = body.ref as string;
        if (!ref.startsWith('refs/') || ref.split('/').length < 3)
          return {
            status: 422,
            body: { message: 'Reference name must start with refs/ and have at least two slashes.' },
          };
        if (this.refSha(ref.slice(5))) return { status: 422, body: { message: 'Reference already exists' } };
        this.setRef(ref.slice(5), body.sha as string);
        return {
          status: 201,
          body: { ref, url: `${base}/git/${ref}`, object: { sha: body.sha as string, type: 'commit' } },
        };
      }
      case 'pulls/create': {
        const head = String(body.head).replace(new RegExp(`^${this.opts.owner}:`), '');
        const baseRef = String(body.base);
        const fail = (field: string, message?: string): { status: number; body: Json } => ({
          status: 422,
          body: {
            message: 'Validation Failed',
            errors: [
              message
                ? { resource: 'PullRequest', code: 'custom', message }
                : { resource: 'PullRequest', field, code: 'invalid' },
            ],
            documentation_url: DOCS,
          },
        });
        if (!this.refSha(`heads/${head}`)) return fail('head');
        if (!this.refSha(`heads/${baseRef}`)) return fail('base');
        if ([...this.pulls.values()].some((p) => p.head === head && p.base === baseRef && p.state === 'open'))
          return fail('head', `A pull request already exists for ${this.opts.owner}:${head}.`);
        if (this.refSha(`heads/${head}`) === this.refSha(`heads/${baseRef}`))
          return fail('head', `No commits between ${baseRef} and ${head}`);
        const number = this.addIssue(String(body.title ?? ''));
        const p: FakePull = {
          number,
          title: String(body.title ?? ''),
          body: (body.body as string | undefined) ?? null,
          head,
          base: baseRef,
          draft: body.draft === true,
          state: 'open',
          merged: false,
          merge_commit_sha: null,
          head_sha: this.refSha(`heads/${head}`)!,
        };
        this.pulls.set(number, p);
        return { status: 201, body: pullJson(p) };
      }
      case 'pulls/list': {
        const state = query.state ?? 'open';
        const head = query.head?.replace(new RegExp(`^${this.opts.owner}:`), '');
        const list = [...this.pulls.values()].filter(
          (p) => (state === 'all' || p.state === state) && (head == null || p.head === head),
        );
        return { status: 200, body: list.map(pullJson) };
      }
      case 'pulls/get': {
        const p = this.pulls.get(Number(params.pull_number));
        return p ? { status: 200, body: pullJson(p) } : notFound;
      }
      case 'pulls/merge': {
        const p = this.pulls.get(Number(params.pull_number));
        if (!p) return notFound;
        if (p.draft)
          return { status: 405, body: { message: 'Pull Request is still a draft', documentation_url: DOCS } };
        if (p.state !== 'open')
          return { status: 405, body: { message: 'Pull Request is not mergeable', documentation_url: DOCS } };
        if (!this.opts.gitDir) return { status: 405, body: { message: 'fake-github merges need gitDir' } };
        const baseSha = this.refSha(`heads/${p.base}`)!;
        const headSha = this.refSha(`heads/${p.head}`)!;
        let tree: string;
        try {
          tree = this.git('merge-tree', '--write-tree', baseSha, headSha).split('\n')[0]!;
        } catch {
          return { status: 405, body: { message: 'Pull Request is not mergeable', documentation_url: DOCS } };
        }
        const sha = execFileSync(
          'git',
          [
            'commit-tree',
            tree,
            '-p',
            baseSha,
            '-p',
            headSha,
            '-m',
            `Merge pull request #${p.number} from ${this.opts.owner}/${p.head}`,
          ],
          {
            cwd: this.opts.gitDir,
            encoding: 'utf8',
            env: {
              ...process.env,
              GIT_AUTHOR_NAME: 'GitHub',
              GIT_AUTHOR_EMAIL: 'noreply@github.com',
              GIT_COMMITTER_NAME: 'GitHub',
              GIT_COMMITTER_EMAIL: 'noreply@github.com',
            },
          },
        ).trim();
        this.setRef(`heads/${p.base}`, sha);
        Object.assign(p, { state: 'closed', merged: true, merge_commit_sha: sha, head_sha: headSha });
        return { status: 200, body: { sha, merged: true, message: 'Pull Request successfully merged' } };
      }
      case 'repos/list-pull-requests-associated-with-commit': {
        const sha = params.commit_sha!;
        const list = [...this.pulls.values()].filter((p) => p.merge_commit_sha === sha || p.head_sha === sha);
        return { status: 200, body: list.map(pullJson) };
      }
      default:
        this.violations.push(`fake-github does not implement ${operationId} (a valid GitHub operation)`);
        return { status: 501, body: { message: `fake-github does not implement ${operationId}` } };
    }
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(
  res: ServerResponse,
  status: number,
  body: Json | undefined,
  headers: Record<string, string> = {},
): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'x-github-media-type': 'github.v3; format=json',
    'x-ratelimit-limit': '5000',
    'x-ratelimit-remaining': '4999',
    ...headers,
  });
  res.end(text);
}

/** Start a fake for `owner/repo`; stop it in afterAll/afterEach. */
export async function startFakeGitHub(opts: FakeGitHubOptions): Promise<FakeGitHub> {
  return new FakeGitHub(opts).start();
}
