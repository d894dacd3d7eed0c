import { looseRepo, packedRepo } from './repos.js';
import type { Context } from './types.js';

/** The read benchmarks read benchmark 1's commits twice: as loose objects (Store.set) and packed (Store.import). */
export const LAYOUTS = [
  { name: 'loose', repo: looseRepo },
  { name: 'packed', repo: packedRepo },
] as const satisfies readonly { name: string; repo: (ctx: Context) => Promise<string> }[];
