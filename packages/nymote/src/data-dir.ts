import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

/**
 * Where Nymote keeps its data unless told otherwise; `nymote store` and `nymote serve` both use it.
 * $NYMOTE_DATA, else $XDG_DATA_HOME/nymote, else ~/.local/share/nymote. Empty variables count as
 * unset, and a relative $XDG_DATA_HOME is ignored, as the XDG base directory spec says.
 */
export function defaultDataDir(env: Readonly<Record<string, string | undefined>> = process.env, home: string = homedir()): string {
  if (env['NYMOTE_DATA']) return resolve(env['NYMOTE_DATA']);
  const xdg = env['XDG_DATA_HOME'];
  if (xdg && isAbsolute(xdg)) return join(xdg, 'nymote');
  return join(home, '.local', 'share', 'nymote');
}

/** The store's bare repository inside a data directory. */
export function storeRepository(dataDir: string): string {
  return join(resolve(dataDir), 'store.git');
}
