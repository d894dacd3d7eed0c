// The JSON API under /api: branches, keys at a branch or commit, writes with test-and-set, history,
// merges, and a Server-Sent Events stream of changes. Routes are data (ROUTES) so that the OpenAPI
// document can be checked against exactly what is served.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StoreError } from '../errors.js';
import { isObjectId, type ObjectId } from '../git/id.js';
import { keySegments } from '../key.js';
import type { Schema } from '../merge-trees.js';
import type { ApiAuthorizer } from './types.js';
import { isValidBranchName } from '../refname.js';
import { diffTrees } from '../diff.js';
import { parseAuthor, type Author, type Change, type LogEntry, type Store } from '../store.js';
import { EMPTY_TREE_ID, Tree } from '../tree.js';
import { readBody, readJson } from './body.js';
import { HttpError, badRequest } from './errors.js';
import { SseStream } from './sse.js';
import { bytesOfJsonValue, conflictSide, jsonValue, jsonValueOrNull, mediaType } from './values.js';

/** What every route handler needs of the server. */
export interface ApiServer {
  readonly store: Store;
  readonly maxBodyBytes: number;
  readonly schema: Schema | undefined;
  readonly heartbeatMs: number;
  readonly streams: Set<SseStream>;
  readonly log: (line: string) => void;
  readonly authorize?: ApiAuthorizer | undefined;
}

export interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly server: ApiServer;
}

export type Method = 'GET' | 'PUT' | 'POST' | 'DELETE';

export interface Route {
  readonly method: Method;
  /** The path as the OpenAPI document writes it; `{key}` matches one or more segments. */
  readonly path: string;
  readonly handle: (c: RequestContext) => Promise<void>;
}

const NO_COMMIT = '0'.repeat(40);
const DEFAULT_LOG_LIMIT = 100;
const MAX_LOG_LIMIT = 1000;

// ---- replies ------------------------------------------------------------------------------------

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(text);
}

// ---- request parts ------------------------------------------------------------------------------

function branchParam(name: string): string {
  if (!isValidBranchName(name)) throw new HttpError(400, 'invalid-ref', `"${name}" is not a valid branch name`, { branch: name });
  return name;
}

function commitParam(id: string, what = 'commit'): ObjectId {
  if (!isObjectId(id.toLowerCase())) throw new HttpError(400, 'invalid-commit', `${what} must be a full 40-digit commit id, not "${id}"`, { commit: id });
  return id.toLowerCase();
}

function keyParam(key: string, allowEmpty = false): string {
  keySegments(key, allowEmpty);
  return key;
}

/**
 * A header's text. Node reads header bytes as Latin-1; clients that send UTF-8 (a message with
 * accents) get it back as they meant it, and real Latin-1 stays as it was.
 */
function headerText(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  if (v === undefined) return undefined;
  const s = Array.isArray(v) ? v.join(', ') : v;
  const asUtf8 = Buffer.from(s, 'latin1').toString('utf8');
  return asUtf8.includes('\ufffd') ? s : asUtf8;
}

/** A parameter given as a header or in the query string (the query wins: it is the more explicit). */
function headerOrQuery(c: RequestContext, header: string, query: string): string | undefined {
  return c.query.get(query) ?? headerText(c.req, header);
}

function authorParam(s: string | undefined): Author | undefined {
  if (s === undefined) return undefined;
  try {
    return parseAuthor(s);
  } catch {
    throw new HttpError(400, 'invalid-author', `author "${s}" must look like "Name <mail@example.org>"`, { author: s });
  }
}

function commitInfo(c: RequestContext, defaultMessage: string): { message: string; author?: Author } {
  const message = headerOrQuery(c, 'x-nymote-message', 'message');
  const author = authorParam(headerOrQuery(c, 'x-nymote-author', 'author'));
  return { message: message || defaultMessage, ...(author ? { author } : {}) };
}

/** The entity tags of If-Match / If-None-Match: '*' or the listed blob ids. */
function entityTags(req: IncomingMessage, name: 'if-match' | 'if-none-match'): '*' | string[] | undefined {
  const v = req.headers[name];
  if (v === undefined) return undefined;
  if (v.trim() === '*') return '*';
  return v.split(',').map((t) => t.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1').toLowerCase()).filter((t) => t !== '');
}

function flag(c: RequestContext, name: string): boolean {
  const v = c.query.get(name);
  return v !== null && v !== '0' && v !== 'false';
}

function intParam(c: RequestContext, name: string, fallback: number, min: number, max: number): number {
  const v = c.query.get(name);
  if (v === null) return fallback;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw badRequest(`${name} must be an integer from ${min} to ${max}, not "${v}"`, { parameter: name });
  return Number(v);
}

function optionalString(body: Record<string, unknown>, name: string): string | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw badRequest(`"${name}" must be a string`, { field: name });
  return v;
}

function requiredString(body: Record<string, unknown>, name: string): string {
  const v = optionalString(body, name);
  if (v === undefined) throw badRequest(`"${name}" is required`, { field: name });
  return v;
}

// ---- where to read ------------------------------------------------------------------------------

/** A branch or a commit from the route, with how to name it in replies and errors. */
interface ReadPoint {
  commit: ObjectId | undefined;
  where: { branch: string } | { commit: ObjectId };
}

async function readPoint(c: RequestContext): Promise<ReadPoint> {
  const { store } = c.server;
  if (c.params['commit'] !== undefined) {
    const id = commitParam(c.params['commit']);
    return { commit: await store.resolve({ commit: id }), where: { commit: id } };
  }
  const branch = branchParam(c.params['branch']!);
  return { commit: await store.resolve({ branch }), where: { branch } };
}

function describe(where: ReadPoint['where']): string {
  return 'branch' in where ? `branch ${where.branch}` : `commit ${where.commit}`;
}

async function treeAt(store: Store, commit: ObjectId | undefined): Promise<Tree> {
  return Tree.at(store.objects, commit === undefined ? undefined : (await store.objects.commit(commit)).tree);
}

/** Writes go to existing branches or to the default one (empty until its first commit). */
async function requireBranch(store: Store, branch: string): Promise<void> {
  if (branch !== store.defaultBranch && (await store.head(branch)) === undefined) {
    throw new StoreError('not-found', `no branch "${branch}"`, { branch });
  }
}

// ---- handlers -----------------------------------------------------------------------------------

async function apiRoot(c: RequestContext): Promise<void> {
  sendJson(c.res, 200, { defaultBranch: c.server.store.defaultBranch });
}

async function listBranches(c: RequestContext): Promise<void> {
  const { store } = c.server;
  const names = await store.branches();
  const heads = await Promise.all(names.map((n) => store.head(n)));
  sendJson(c.res, 200, names.map((name, i) => ({ name, head: heads[i] ?? null, default: name === store.defaultBranch })));
}

async function createBranch(c: RequestContext): Promise<void> {
  const { store } = c.server;
  const body = await readJson(c.req, c.res, c.server.maxBodyBytes);
  const name = branchParam(requiredString(body, 'name'));
  const from = optionalString(body, 'from') ?? store.defaultBranch;
  if (!isObjectId(from)) branchParam(from);
  const head = await store.createBranch(name, isObjectId(from) ? { commit: from } : { branch: from });
  sendJson(c.res, 201, { name, head, default: false }, { Location: `/api/branches/${encodeURIComponent(name)}` });
}

async function getBranch(c: RequestContext): Promise<void> {
  const { store } = c.server;
  const name = branchParam(c.params['branch']!);
  const head = await store.head(name);
  if (head === undefined && name !== store.defaultBranch) throw new StoreError('not-found', `no branch "${name}"`, { branch: name });
  sendJson(c.res, 200, { name, head: head ?? null, default: name === store.defaultBranch });
}

async function deleteBranch(c: RequestContext): Promise<void> {
  const { store } = c.server;
  const name = branchParam(c.params['branch']!);
  // As in the CLI: without it HEAD would dangle and every request without a branch would fail.
  if (name === store.defaultBranch) throw new HttpError(409, 'default-branch', `cannot delete "${name}": it is the default branch`, { branch: name });
  await store.deleteBranch(name);
  c.res.writeHead(204).end();
}

async function getKey(c: RequestContext): Promise<void> {
  const { store, schema } = c.server;
  const key = keyParam(c.params['key'] ?? '', true);
  const at = await readPoint(c);
  const tree = await treeAt(store, at.commit);
  const kind = key === '' ? 'tree' : await tree.kind(key);
  if (kind === undefined) throw new StoreError('not-found', `no key "${key}" at ${describe(at.where)}`, { key, ...at.where });
  const commitHeader: Record<string, string> = at.commit ? { 'X-Nymote-Commit': at.commit } : {};
  if (kind === 'value') {
    const bytes = (await tree.get(key))!;
    const id = (await tree.idOf(key))!;
    const etag = `"${id}"`;
    const headers = { ...commitHeader, 'ETag': etag, 'X-Nymote-Kind': 'value', 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' };
    const none = entityTags(c.req, 'if-none-match');
    if (none === '*' || none?.includes(id)) {
      c.res.writeHead(304, headers).end();
      return;
    }
    c.res.writeHead(200, { ...headers, 'Content-Type': mediaType(key, schema), 'Content-Length': bytes.length });
    c.res.end(bytes);
    return;
  }
  const id = at.commit === undefined ? undefined : await tree.idOf(key);
  const entries = flag(c, 'recursive')
    ? (await tree.keys(key)).map((e) => ({ key: e.key, id: e.id }))
    : await tree.list(key);
  sendJson(c.res, 200, { key, kind: 'tree', id: id ?? null, commit: at.commit ?? null, entries }, { ...commitHeader, 'X-Nymote-Kind': 'tree' });
}

/** The conditions a write may carry; checked inside the commit's compare-and-swap loop. */
interface Conditions {
  ifMatch: '*' | string[] | undefined;
  ifNoneMatch: '*' | string[] | undefined;
  expectCommit: ObjectId | undefined;
}

function conditions(c: RequestContext): Conditions {
  const expect = headerOrQuery(c, 'x-nymote-expect-commit', 'expect');
  return {
    ifMatch: entityTags(c.req, 'if-match'),
    ifNoneMatch: entityTags(c.req, 'if-none-match'),
    // Git's all-zero id for "no commit": the branch must not have any yet.
    expectCommit: expect === undefined ? undefined : commitParam(expect, 'the expected commit'),
  };
}

type Check = { ok: true; existed: boolean } | { ok: false; why: string; head: ObjectId | undefined; id: ObjectId | undefined };

async function check(cond: Conditions, tree: Tree, head: ObjectId | undefined, key: string): Promise<Check> {
  if (cond.expectCommit !== undefined && (head ?? NO_COMMIT) !== cond.expectCommit) {
    return { ok: false, why: `the branch is at ${head ?? 'no commit'}, not ${cond.expectCommit}`, head, id: undefined };
  }
  const kind = await tree.kind(key);
  const id = kind === 'value' ? await tree.idOf(key) : undefined;
  const matches = (tags: '*' | string[]) => (tags === '*' ? id !== undefined : id !== undefined && tags.includes(id));
  if (cond.ifMatch !== undefined && !matches(cond.ifMatch)) {
    return { ok: false, why: id === undefined ? 'the key has no value' : `the value is ${id}`, head, id };
  }
  if (cond.ifNoneMatch !== undefined && matches(cond.ifNoneMatch)) {
    return { ok: false, why: `the key already has a value (${id})`, head, id };
  }
  return { ok: true, existed: kind !== undefined };
}

function preconditionFailed(key: string, branch: string, r: Extract<Check, { ok: false }>): HttpError {
  return new HttpError(409, 'conflict', `not written: ${r.why}`, { key, branch }, { current: { id: r.id ?? null, commit: r.head ?? null } });
}

async function putKey(c: RequestContext): Promise<void> {
  const { store, schema } = c.server;
  const branch = branchParam(c.params['branch']!);
  const key = keyParam(c.params['key']!);
  const cond = conditions(c);
  const info = commitInfo(c, `Set ${key}`);
  const body = await readBody(c.req, c.res, c.server.maxBodyBytes);
  if (schema) {
    const type = schema(key);
    try {
      type.decode(body);
    } catch (e) {
      throw new HttpError(400, 'invalid-value', `the value for "${key}" is not valid ${type.name}: ${(e as Error).message}`, { key });
    }
  }
  await requireBranch(store, branch);
  const r = await store.update(async (tree, head) => {
    // Thrown, not returned: update() would otherwise commit an empty tree on a branch with no commits.
    const ok = await check(cond, tree, head, key);
    if (!ok.ok) throw preconditionFailed(key, branch, ok);
    await tree.set(key, body);
    return ok;
  }, { ...info, branch });
  const id = store.objects.store.hash('blob', body);
  const created = !r.result.existed;
  sendJson(c.res, created ? 201 : 200, { commit: r.commit, id, changed: r.changed }, {
    'ETag': `"${id}"`, 'X-Nymote-Commit': r.commit!,
  });
}

async function deleteKey(c: RequestContext): Promise<void> {
  const { store } = c.server;
  const branch = branchParam(c.params['branch']!);
  const key = keyParam(c.params['key']!);
  const cond = conditions(c);
  const recursive = flag(c, 'recursive');
  const info = commitInfo(c, `Remove ${key}`);
  await requireBranch(store, branch);
  const r = await store.update(async (tree, head) => {
    const ok = await check(cond, tree, head, key);
    if (!ok.ok) throw preconditionFailed(key, branch, ok);
    const kind = await tree.kind(key);
    if (kind === undefined) throw new StoreError('not-found', `no key "${key}" on branch ${branch}`, { key, branch });
    if (kind === 'tree' && !recursive) {
      throw new StoreError('type-mismatch', `"${key}" is a tree of keys; add ?recursive=1 to remove it all`, { key, branch });
    }
    await tree.remove(key);
    return ok;
  }, { ...info, branch });
  sendJson(c.res, 200, { commit: r.commit }, { 'X-Nymote-Commit': r.commit! });
}

function logEntry(e: LogEntry, withValue: boolean) {
  return {
    id: e.id, parents: e.parents, author: e.author, committer: e.committer, message: e.message,
    ...(withValue ? { value: e.value ?? null } : {}),
  };
}

async function log(c: RequestContext): Promise<void> {
  const { store } = c.server;
  const key = c.query.get('key');
  if (key !== null) keyParam(key);
  const limit = intParam(c, 'limit', DEFAULT_LOG_LIMIT, 1, MAX_LOG_LIMIT);
  const afterParam = c.query.get('after');
  const after = afterParam === null ? undefined : commitParam(afterParam, 'after');
  const at = await readPoint(c);
  const page = at.commit === undefined
    ? { entries: [] }
    : await store.log({ at: { commit: at.commit }, limit, ...(key !== null ? { key } : {}), ...(after ? { after } : {}) });
  sendJson(c.res, 200, {
    entries: page.entries.map((e) => logEntry(e, key !== null)),
    ...('next' in page && page.next ? { next: page.next } : {}),
  });
}

async function getCommit(c: RequestContext): Promise<void> {
  const { store } = c.server;
  const id = await store.resolve({ commit: commitParam(c.params['commit']!) });
  const commit = await store.objects.commit(id!);
  sendJson(c.res, 200, { id, tree: commit.tree, parents: commit.parents, author: commit.author, committer: commit.committer, message: commit.message });
}

async function merge(c: RequestContext): Promise<void> {
  const { store } = c.server;
  const body = await readJson(c.req, c.res, c.server.maxBodyBytes);
  const from = requiredString(body, 'from');
  if (!isObjectId(from)) branchParam(from);
  const into = branchParam(optionalString(body, 'into') ?? store.defaultBranch);
  const message = optionalString(body, 'message');
  const author = authorParam(optionalString(body, 'author'));
  const resolutions = new Map<string, Uint8Array | null>();
  if (body['resolutions'] !== undefined) {
    const rs = body['resolutions'];
    if (rs === null || typeof rs !== 'object' || Array.isArray(rs)) throw badRequest('"resolutions" must be an object from key to value (or null to remove the key)', { field: 'resolutions' });
    for (const [k, v] of Object.entries(rs)) {
      keyParam(k);
      resolutions.set(k, v === null ? null : bytesOfJsonValue(v, `resolution for "${k}"`));
    }
  }
  await requireBranch(store, into);
  const r = await store.merge(isObjectId(from) ? { commit: from } : { branch: from }, {
    into, resolutions, ...(message !== undefined ? { message } : {}), ...(author ? { author } : {}),
  });
  if (!r.ok) {
    const keys = r.conflicts.map((k) => k.key);
    throw new HttpError(409, 'merge-conflict', `merging ${from} into ${into} conflicts at ${keys.length === 1 ? 'key' : 'keys'} ${keys.join(', ')}`, { from, into, keys }, {
      conflicts: r.conflicts.map((k) => ({
        key: k.key, message: k.message, path: k.path,
        base: conflictSide(k.base), ours: conflictSide(k.ours), theirs: conflictSide(k.theirs),
      })),
    });
  }
  sendJson(c.res, 200, { kind: r.kind, commit: r.commit }, { 'X-Nymote-Commit': r.commit });
}

/** The change event's data: what a client needs to apply it. */
function changeData(change: Change) {
  return {
    branch: change.branch, key: change.key, commit: change.commit ?? null,
    old: jsonValueOrNull(change.old), new: jsonValueOrNull(change.new),
  };
}

/** What is at `prefix` in a commit: a subtree to diff, or a single value. */
async function entryAt(store: Store, commit: ObjectId | undefined, prefix: string): Promise<{ tree?: ObjectId; value?: ObjectId }> {
  const tree = await treeAt(store, commit);
  if (prefix === '') return { tree: (await tree.idOf('')) ?? EMPTY_TREE_ID };
  const kind = await tree.kind(prefix);
  const id = await tree.idOf(prefix);
  if (kind === 'tree' && id) return { tree: id };
  if (kind === 'value' && id) return { value: id };
  return {};
}

/** The changes under `prefix` from one commit to another, all reported as made by `to`. */
async function* changesBetween(store: Store, branch: string, from: ObjectId, to: ObjectId | undefined, prefix: string): AsyncGenerator<Change> {
  const [a, b] = [await entryAt(store, from, prefix), await entryAt(store, to, prefix)];
  const diffs = a.value !== b.value
    ? [{ key: prefix, old: a.value, new: b.value }]
    : diffTrees(store.objects, a.tree, b.tree, prefix);
  for await (const d of diffs) {
    yield {
      branch, key: d.key, commit: to,
      old: d.old ? await store.objects.blob(d.old) : undefined,
      new: d.new ? await store.objects.blob(d.new) : undefined,
    };
  }
}

async function watch(c: RequestContext): Promise<void> {
  const { store, streams } = c.server;
  const branch = branchParam(c.params['branch']!);
  const prefix = c.query.get('prefix')?.replace(/\/+$/, '') ?? '';
  keyParam(prefix, true);
  // A client that reconnects (EventSource sends Last-Event-ID by itself) first gets what it missed.
  const sinceParam = c.query.get('since') ?? headerText(c.req, 'last-event-id');
  const since = sinceParam ? commitParam(sinceParam, 'since') : undefined;
  await requireBranch(store, branch);
  if (c.req.method === 'HEAD') {
    c.res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store' }).end();
    return;
  }
  const stream = new SseStream(c.res, c.server.heartbeatMs);
  streams.add(stream);
  let live = since === undefined;
  const pending: Change[] = [];
  const stop = store.watch((change) => {
    if (live) stream.event('change', changeData(change), change.commit);
    else pending.push(change);
  }, {
    branch,
    prefix,
    // One unreadable commit must not end the stream: tell the client and the log, and go on.
    onError: (e) => {
      const message = e instanceof Error ? e.message : String(e);
      c.server.log(`watch ${branch}: ${message}`);
      stream.event('error', { code: e instanceof StoreError ? e.code : 'internal', message });
    },
  });
  stream.whenEnded(() => {
    stop();
    streams.delete(stream);
  });
  if (since === undefined) return;
  // Subscribed before reading the head, so nothing falls between the catch-up and the live changes;
  // live changes the catch-up already covers (the head and its ancestors) are dropped.
  const head = await store.head(branch);
  try {
    await store.objects.commit(since);
    for await (const change of changesBetween(store, branch, since, head, prefix)) stream.event('change', changeData(change), head);
  } catch (e) {
    if (!(e instanceof StoreError && (e.code === 'not-found' || e.code === 'type-mismatch'))) throw e;
    // The commit is unknown here (another repository, or history rewritten): the client must read afresh.
    stream.event('resync', { branch, commit: head ?? null, message: `commit ${since} is not in this repository; read the keys again` }, head);
  }
  while (pending.length > 0) {
    const change = pending.shift()!;
    const covered = head !== undefined && change.commit !== undefined && (change.commit === head || (await store.isAncestor(change.commit, head)));
    if (!covered) stream.event('change', changeData(change), change.commit);
  }
  live = true;
}

export const ROUTES: readonly Route[] = [
  { method: 'GET', path: '/api', handle: apiRoot },
  { method: 'GET', path: '/api/branches', handle: listBranches },
  { method: 'POST', path: '/api/branches', handle: createBranch },
  { method: 'GET', path: '/api/branches/{branch}', handle: getBranch },
  { method: 'DELETE', path: '/api/branches/{branch}', handle: deleteBranch },
  { method: 'GET', path: '/api/branches/{branch}/keys', handle: getKey },
  { method: 'GET', path: '/api/branches/{branch}/keys/{key}', handle: getKey },
  { method: 'PUT', path: '/api/branches/{branch}/keys/{key}', handle: putKey },
  { method: 'DELETE', path: '/api/branches/{branch}/keys/{key}', handle: deleteKey },
  { method: 'GET', path: '/api/branches/{branch}/log', handle: log },
  { method: 'GET', path: '/api/branches/{branch}/watch', handle: watch },
  { method: 'GET', path: '/api/commits/{commit}', handle: getCommit },
  { method: 'GET', path: '/api/commits/{commit}/keys', handle: getKey },
  { method: 'GET', path: '/api/commits/{commit}/keys/{key}', handle: getKey },
  { method: 'GET', path: '/api/commits/{commit}/log', handle: log },
  { method: 'POST', path: '/api/merge', handle: merge },
];

const compiled = ROUTES.map((r) => ({ route: r, segments: r.path.split('/').slice(1) }));

/** The routes whose path matches, with the parameters it binds; `{key}` takes all remaining segments. */
function match(segments: readonly string[]): { route: Route; params: Record<string, string> }[] {
  const out: { route: Route; params: Record<string, string> }[] = [];
  for (const { route, segments: pattern } of compiled) {
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < pattern.length && ok; i++) {
      const p = pattern[i]!;
      if (p === '{key}') {
        if (i >= segments.length) ok = false;
        else params['key'] = segments.slice(i).join('/');
        break;
      }
      if (i >= segments.length) ok = false;
      else if (p.startsWith('{')) params[p.slice(1, -1)] = segments[i]!;
      else ok = p === segments[i];
    }
    if (ok && !pattern.includes('{key}') && pattern.length !== segments.length) ok = false;
    if (ok) out.push({ route, params });
  }
  return out;
}

/** Serves one /api request; throws HttpError (404, 405, 400, ...) for the caller to send. */
export async function handleApi(req: IncomingMessage, res: ServerResponse, pathname: string, query: URLSearchParams, server: ApiServer): Promise<void> {
  let segments: string[];
  try {
    segments = pathname.split('/').slice(1).map(decodeURIComponent);
  } catch {
    throw badRequest(`the path "${pathname}" has malformed percent-encoding`);
  }
  // "/keys/contacts/" lists the same tree as "/keys/contacts"; only reads: a write needs an exact key.
  const method = req.method === 'HEAD' ? 'GET' : req.method;
  if (method === 'GET' && segments.length > 1 && segments[segments.length - 1] === '') segments.pop();
  const candidates = match(segments);
  if (candidates.length === 0) throw new HttpError(404, 'not-found', `no such resource: ${pathname}`, { path: pathname });
  const chosen = candidates.find((m) => m.route.method === method);
  if (!chosen) {
    const allowed: string[] = [...new Set(candidates.map((m) => m.route.method))];
    if (allowed.includes('GET')) allowed.push('HEAD');
    throw new HttpError(405, 'method-not-allowed', `${req.method} is not allowed on ${pathname} (allowed: ${allowed.join(', ')})`, { method: req.method }, {}, { Allow: allowed.join(', ') });
  }
  await server.authorize?.(req, { method: chosen.route.method, path: chosen.route.path }, chosen.params);
  await chosen.route.handle({ req, res, params: chosen.params, query, server });
}
