import type { EntryKind, Tree } from '@nymote/store';
import { fail } from '../report.js';
import type { StoreContext } from './context.js';
import { prefixArg, readPoint } from './options.js';

export interface Listing {
  view: Tree;
  prefix: string;
  kind: EntryKind;
}

/**
 * What `list` and `tree` start from: the view at --branch/--at and what is at PREFIX. Returns the exit
 * status instead (having said why) when nothing is there.
 */
export async function openListing(prefixWord: string | undefined, options: { branch?: string; at?: string }, context: StoreContext): Promise<Listing | number> {
  const point = readPoint(options);
  const { store } = await context.open();
  const { at, where } = point(store);
  const prefix = prefixArg(prefixWord);
  const view = await store.tree(at);
  const kind = prefix === '' ? 'tree' : await view.kind(prefix);
  if (kind === undefined) return fail(context.io, `no key at or under ${prefix} (${where})`);
  return { view, prefix, kind };
}
