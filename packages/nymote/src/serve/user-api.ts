// The store's HTTP API for the people the daemon serves: each logs in with their name and password
// and reaches only their own branch users/NAME (keys, log, watch, the commits of its history), plus
// POST /api/undo, which undoes one of their changes the way the command line does.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dataBranch, type Accounts } from '@nymote/accounts';
import { Authenticator, DavError } from '@nymote/dav';
import { MAIL_ROOT, MailError, type Mailstores } from '@nymote/mail';
import { diffTrees, type Store } from '@nymote/store';
import { HttpError, createStoreHandler } from '@nymote/store/server';

const users = new WeakMap<IncomingMessage, string>();

/** Error codes of the JSON answers, by the status the login check gives. */
const LOGIN_CODES: Record<number, string> = { 401: 'unauthorized', 403: 'forbidden', 429: 'throttled' };

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const bytes = Buffer.from(`${JSON.stringify(body)}\n`);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(bytes.length), ...headers });
  res.end(bytes);
}

/** Whether `commit` changed anything under mail/ (then undoing it is a mail undo). */
async function touchesMail(store: Store, commit: string): Promise<boolean> {
  const c = await store.objects.commit(commit);
  const parent = c.parents[0] ? (await store.objects.commit(c.parents[0])).tree : undefined;
  for await (const change of diffTrees(store.objects, parent, c.tree)) if (change.key.startsWith(`${MAIL_ROOT}/`)) return true;
  return false;
}

export function createUserApi(options: { store: Store; accounts: Accounts; mailstores: Mailstores; log?: (line: string) => void }): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { store, accounts, mailstores } = options;
  const authenticator = new Authenticator(accounts);
  const own = async (user: string, commit: string): Promise<boolean> => {
    const head = await store.head(dataBranch(user));
    return head !== undefined && (await store.isAncestor(commit, head).catch(() => false));
  };
  const storeApi = createStoreHandler({
    store,
    ...(options.log ? { log: options.log } : {}),
    async authorize(req, route, params) {
      const user = users.get(req)!;
      if (route.path === '/api') return;
      if (params['branch'] !== undefined) {
        if (params['branch'] !== dataBranch(user)) throw new HttpError(403, 'forbidden', `${user} may use the branch ${dataBranch(user)} only`);
        if (route.method === 'DELETE' && route.path === '/api/branches/{branch}') throw new HttpError(403, 'forbidden', 'your data branch cannot be deleted here');
        return;
      }
      if (params['commit'] !== undefined) {
        const id = await store.resolve({ commit: params['commit'] }).catch(() => undefined);
        if (id && (await own(user, id))) return;
        throw new HttpError(404, 'not-found', `no commit ${params['commit']} in ${user}'s history`);
      }
      // Listing, making and merging branches would reach other people's data.
      throw new HttpError(403, 'forbidden', `${route.method} ${route.path} is not open to users`);
    },
  });

  return async (req, res) => {
    // The same login check as CalDAV's: plain HTTP from this machine only, limits shared with mail.
    let user: string;
    try {
      user = await authenticator.authenticate(req);
    } catch (e) {
      if (!(e instanceof DavError)) throw e;
      return send(res, e.status, { error: { code: LOGIN_CODES[e.status] ?? 'forbidden', message: e.message } }, e.headers);
    }
    users.set(req, user);
    const path = (req.url ?? '/').split('?')[0]!;
    if (path !== '/api/undo') return storeApi(req, res);
    if (req.method !== 'POST') return send(res, 405, { error: { code: 'method-not-allowed', message: 'POST {"commit": "…"} to undo a change' } }, { Allow: 'POST' });
    let body: { commit?: unknown };
    try {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const c of req as AsyncIterable<Buffer>) {
        size += c.length;
        if (size > 4096) return send(res, 413, { error: { code: 'too-large', message: 'the body is {"commit": "…"}' } });
        chunks.push(c);
      }
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { commit?: unknown };
    } catch {
      return send(res, 400, { error: { code: 'bad-request', message: 'the body is JSON: {"commit": "…"}' } });
    }
    if (typeof body.commit !== 'string') return send(res, 400, { error: { code: 'bad-request', message: 'the body is {"commit": "…"}' } });
    const id = await store.resolve({ commit: body.commit }).catch(() => undefined);
    if (!id || !(await own(user, id))) return send(res, 404, { error: { code: 'not-found', message: `no commit ${body.commit} in ${user}'s history` } });
    const branch = dataBranch(user);
    const subject = (await store.objects.commit(id)).message.split('\n')[0]!;
    try {
      if (await touchesMail(store, id)) {
        const r = await mailstores.of(user).undo(id);
        return send(res, 200, { undid: r.subject, commit: r.commit });
      }
      const r = await store.revert(id, { branch, message: `Undo "${subject}"` });
      if (!r.ok) return send(res, 409, { error: { code: 'conflict', message: `later changes overlap ${body.commit}`, keys: r.conflicts.map((c) => c.key) } });
      return send(res, 200, { undid: subject, commit: r.commit });
    } catch (e) {
      if (e instanceof MailError) return send(res, 409, { error: { code: 'conflict', message: e.message } });
      throw e;
    }
  };
}
