import { helpText, parseStrict, type Command, type OptionSpecs } from './command.js';
import type { Io } from './io.js';
import { UsageError } from './usage.js';

/** A set of verbs under one name ("nymote", "nymote store"), with options that come before the verb. */
export interface Group<C> {
  /** What precedes the verb on a usage line: "nymote store". */
  readonly path: string;
  /** The usage line after `path`: "[--repo DIR | --data DATADIR] <command> [...]". */
  readonly usage: string;
  /** Shown by --help between the usage line and the list of commands. */
  readonly description: string;
  /** Shown by --help after the list of commands. */
  readonly footer?: string;
  readonly options: OptionSpecs;
  readonly commands: readonly Command<C>[];
  /** Handles options that stand instead of a verb (--version): returns an exit status, or undefined to go on. */
  readonly instead?: (values: OptionValuesOf, io: Io) => number | undefined;
}

type OptionValuesOf = Record<string, string | boolean | undefined>;

/**
 * Splits argv at the verb: the first argument that is neither an option nor the value of one. Needs
 * the option specs because "--repo x" takes the next word while "--help" does not.
 */
export function splitAtVerb(argv: readonly string[], options: OptionSpecs): { leading: string[]; verb: string | undefined; rest: string[] } {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return { leading: argv.slice(0, i), verb: argv[i + 1], rest: argv.slice(i + 2) };
    if (a === '-' || !a.startsWith('-')) return { leading: argv.slice(0, i), verb: a, rest: argv.slice(i + 1) };
    const spec = a.startsWith('--')
      ? (a.includes('=') ? undefined : options[a.slice(2)])
      : Object.values(options).find((o) => o.short === a[1] && a.length === 2);
    if (spec?.type === 'string') i++;
  }
  return { leading: [...argv], verb: undefined, rest: [] };
}

export function groupUsage(group: Group<unknown>): string {
  return `${group.path} ${group.usage}`;
}

export function groupHelp(group: Group<unknown>): string {
  const width = Math.max(...group.commands.map((c) => c.name.length));
  const list = group.commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n');
  const footer = group.footer ? `\n${group.footer.trim()}\n` : '';
  return `usage: ${groupUsage(group)}\n\n${group.description.trim()}\n\ncommands:\n${list}\n${footer}`;
}

/**
 * The group's string options (--data, --repo) are also taken after the verb, as people write them
 * ("nymote user add alice --data DIR"): they move in front of it. Nothing after "--" moves.
 */
function hoistGroupOptions(leading: string[], rest: string[], options: OptionSpecs): { leading: string[]; rest: string[] } {
  const names = new Set(Object.entries(options).filter(([, o]) => o.type === 'string').map(([n]) => n));
  const kept: string[] = [];
  const moved: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '--') {
      kept.push(...rest.slice(i));
      break;
    }
    const name = /^--([^=]+)/.exec(a)?.[1];
    if (name !== undefined && names.has(name)) {
      if (a.includes('=')) moved.push(a);
      else if (i + 1 < rest.length) moved.push(a, rest[++i]!);
      else kept.push(a);
      continue;
    }
    kept.push(a);
  }
  return { leading: [...leading, ...moved], rest: kept };
}

/**
 * Parses the group's own options (those before the verb), then hands the rest to the verb. `context`
 * builds the verbs' context from those options; it runs only once a verb is found, so `--help`
 * works without (say) a repository. `--help` and an absent verb are handled here.
 */
export async function dispatch<C>(
  group: Group<C>,
  argv: readonly string[],
  io: Io,
  context: (values: OptionValuesOf) => C,
): Promise<number> {
  const usage = groupUsage(group);
  const split = splitAtVerb(argv, group.options);
  const { verb } = split;
  const { leading, rest } = hoistGroupOptions(split.leading, split.rest, group.options);
  let values: OptionValuesOf;
  try {
    values = parseStrict(leading, group.options, group.path).values;
  } catch (e) {
    throw e instanceof UsageError ? e.withUsage(usage) : e;
  }
  if (values['help'] === true) {
    const command = group.commands.find((c) => c.name === verb);
    io.stdout.write(command ? helpText(group.path, command) : groupHelp(group));
    return 0;
  }
  const status = group.instead?.(values, io);
  if (status !== undefined) return status;
  if (verb === undefined) throw new UsageError(`missing command (${group.path} --help lists them)`, usage);
  const command = group.commands.find((c) => c.name === verb);
  if (!command) {
    throw new UsageError(`unknown command "${verb}" for "${group.path}" (${group.path} --help lists them)`, usage);
  }
  return command.invoke(rest, context(values), group.path);
}
