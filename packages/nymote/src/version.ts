import { readFileSync } from 'node:fs';

/** Set by the bundler (scripts/bundle.mjs): a sealed bundle has no package.json beside it. */
declare const NYMOTE_BUNDLED_VERSION: string | undefined;

/** Whether this is the one-file bundle of `npm run bundle` (no package.json, no node_modules beside it). */
export function isBundled(): boolean {
  return typeof NYMOTE_BUNDLED_VERSION === 'string';
}

/** The version in this package's package.json (two levels up from dist/src/), or the bundle's. */
export function version(): string {
  if (typeof NYMOTE_BUNDLED_VERSION === 'string') return NYMOTE_BUNDLED_VERSION;
  const pkg: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  const v = typeof pkg === 'object' && pkg !== null && 'version' in pkg ? pkg.version : undefined;
  return typeof v === 'string' ? v : 'unknown';
}
