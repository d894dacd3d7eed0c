import type { DataContext } from '../data-context.js';

/** What every `nymote dav` verb gets. */
export type DavContext = DataContext;
