// The daemon's settings: built-in defaults, then the data directory's nymote.toml, then flags.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { Failure } from '../report.js';
import { UsageError } from '../usage.js';

export const SERVICES = ['imap', 'imaps', 'smtp', 'submission', 'submissions', 'http', 'https'] as const;
export type Service = (typeof SERVICES)[number];

/** The standard ports, and the unprivileged ones used when not running as root. */
export const STANDARD_PORTS: Record<Service, number> = { imap: 143, imaps: 993, smtp: 25, submission: 587, submissions: 465, http: 80, https: 443 };
export const UNPRIVILEGED_PORTS: Record<Service, number> = { imap: 1143, imaps: 1993, smtp: 2525, submission: 1587, submissions: 1465, http: 8080, https: 8443 };

export interface ServeConfig {
  host: string;
  domain: string;
  /** 0 turns a listener off. */
  ports: Record<Service, number>;
  tls?: { cert: string; key: string };
  /** Outgoing mail: all of it to this host:port (a smarthost); otherwise to each domain's MX. */
  relay?: { host: string; port: number };
  dkimSelector: string;
  logFormat: 'text' | 'json';
}

export const CONFIG_FILE = 'nymote.toml';

export function defaults(isRoot: boolean): ServeConfig {
  return { host: '127.0.0.1', domain: 'localhost', ports: { ...(isRoot ? STANDARD_PORTS : UNPRIVILEGED_PORTS) }, dkimSelector: 'nymote', logFormat: 'text' };
}

function port(value: unknown, where: string): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`${where} must be a port number from 0 to 65535, not ${JSON.stringify(value)}`);
  return n;
}

function hostPort(value: string, where: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(value);
  if (!m) throw new UsageError(`${where} must be HOST or HOST:PORT, not "${value}"`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: m[2] ? port(m[2], where) : 25 };
}

/** Applies the settings of nymote.toml in `dataDir`, if there is one, to `base`. */
export async function readConfigFile(dataDir: string, base: ServeConfig): Promise<ServeConfig> {
  const file = join(dataDir, CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return base;
    throw new Failure(`cannot read ${file}: ${(e as Error).message}`);
  }
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new Failure(`${file}: ${(e as Error).message.split('\n')[0]}`);
  }
  const out: ServeConfig = { ...base, ports: { ...base.ports } };
  const known = new Set(['host', 'domain', 'ports', 'tls', 'relay', 'dkim_selector', 'log_format']);
  for (const key of Object.keys(doc)) if (!known.has(key)) throw new Failure(`${file}: unknown setting "${key}" (known: ${[...known].join(', ')})`);
  const str = (k: string) => {
    const v = doc[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw new Failure(`${file}: ${k} must be a string`);
    return v;
  };
  out.host = str('host') ?? out.host;
  out.domain = str('domain') ?? out.domain;
  out.dkimSelector = str('dkim_selector') ?? out.dkimSelector;
  const format = str('log_format');
  if (format !== undefined) {
    if (format !== 'text' && format !== 'json') throw new Failure(`${file}: log_format must be "text" or "json"`);
    out.logFormat = format;
  }
  const relay = str('relay');
  if (relay !== undefined) out.relay = hostPort(relay, `${file}: relay`);
  const ports = doc['ports'];
  if (ports !== undefined) {
    if (typeof ports !== 'object' || ports === null) throw new Failure(`${file}: [ports] must be a table`);
    for (const [k, v] of Object.entries(ports)) {
      if (!(SERVICES as readonly string[]).includes(k)) throw new Failure(`${file}: unknown port "${k}" (known: ${SERVICES.join(', ')})`);
      out.ports[k as Service] = port(v, `${file}: ports.${k}`);
    }
  }
  const tls = doc['tls'] as Record<string, unknown> | undefined;
  if (tls !== undefined) {
    if (typeof tls['cert'] !== 'string' || typeof tls['key'] !== 'string') throw new Failure(`${file}: [tls] needs cert and key (file names)`);
    out.tls = { cert: tls['cert'], key: tls['key'] };
  }
  return out;
}

/** Flags win over the file. */
export function applyFlags(config: ServeConfig, flags: Record<string, string | boolean | undefined>): ServeConfig {
  const out: ServeConfig = { ...config, ports: { ...config.ports } };
  if (typeof flags['host'] === 'string') out.host = flags['host'];
  if (typeof flags['domain'] === 'string') out.domain = flags['domain'];
  for (const s of SERVICES) {
    const v = flags[`${s}-port`];
    if (typeof v === 'string') out.ports[s] = port(v, `--${s}-port`);
  }
  const cert = flags['tls-cert'];
  const key = flags['tls-key'];
  if ((typeof cert === 'string') !== (typeof key === 'string')) throw new UsageError('--tls-cert and --tls-key go together');
  if (typeof cert === 'string' && typeof key === 'string') out.tls = { cert, key };
  if (typeof flags['relay'] === 'string') out.relay = hostPort(flags['relay'], '--relay');
  if (typeof flags['log-format'] === 'string') {
    if (flags['log-format'] !== 'text' && flags['log-format'] !== 'json') throw new UsageError('--log-format must be text or json');
    out.logFormat = flags['log-format'];
  }
  return out;
}
