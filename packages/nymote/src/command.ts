import { parseArgs } from 'node:util';
import type { Io } from './io.js';
import { UsageError } from './usage.js';

/** A command-line option, as node:util parseArgs takes it (no defaults: absent means not given). */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** The parsed values of a set of options, typed from their specs. */
export type OptionValues<O extends OptionSpecs> = {
  -readonly [K in keyof O]?: O[K]['type'] extends 'string' ? string : boolean;
};

/** What one verb declares: its name, options, help, and what it does. */
export interface CommandSpec<O extends OptionSpecs, C> {
  readonly name: string;
  /** One line, for the list of commands. */
  readonly summary: string;
  /** The words after the command name on the usage line: `KEY VALUE [-m MESSAGE]`. */
  readonly usage: string;
  /** Everything --help shows below the usage line: what it does, its options, examples. */
  readonly help: string;
  readonly options: O;
  /** Positional arguments by name, optional ones in brackets: ['KEY', '[PREFIX]']. */
  readonly args: readonly string[];
  /** Does the work; returns the exit status. Throws UsageError for misuse found after parsing. */
  run(args: string[], options: OptionValues<O>, context: C): Promise<number>;
}

/** A verb with its parsing done for it: what a dispatcher lists, shows help for and invokes. */
export interface Command<C> {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly help: string;
  /** `path` is what precedes the name on the usage line ("nymote store"). */
  invoke(argv: string[], context: C, path: string): Promise<number>;
}

export function usageLine(path: string, name: string, usage: string): string {
  return `${path} ${name}${usage ? ' ' + usage : ''}`;
}

/** The --help text of a command. */
export function helpText(path: string, command: { name: string; usage: string; help: string }): string {
  return `usage: ${usageLine(path, command.name, command.usage)}\n\n${command.help.trim()}\n`;
}

/**
 * Parses argv strictly by the command's specs (plus -h/--help), checks the number of positional
 * arguments, and runs it. Every usage error leaving here carries this command's usage line.
 */
export function defineCommand<const O extends OptionSpecs, C extends { readonly io: Io }>(spec: CommandSpec<O, C>): Command<C> {
  const required = spec.args.filter((a) => !a.startsWith('[')).length;
  return {
    name: spec.name,
    summary: spec.summary,
    usage: spec.usage,
    help: spec.help,
    async invoke(argv, context, path) {
      const usage = usageLine(path, spec.name, spec.usage);
      try {
        const { values, positionals } = parseStrict(argv, { ...spec.options, help: { type: 'boolean', short: 'h' } }, `${path} ${spec.name}`);
        if (values['help'] === true) {
          context.io.stdout.write(helpText(path, spec));
          return 0;
        }
        if (positionals.length < required) throw new UsageError(`missing ${spec.args[positionals.length]}`);
        if (positionals.length > spec.args.length) throw new UsageError(`unexpected argument "${positionals[spec.args.length]}"`);
        // parseArgs was given exactly these specs, so each value has the type its spec says.
        return await spec.run(positionals, values as OptionValues<O>, context);
      } catch (e) {
        throw e instanceof UsageError ? e.withUsage(usage) : e;
      }
    },
  };
}

/**
 * parseArgs in strict mode, with its errors (long, and naming the wrong remedy for us) turned into
 * short usage errors that name the option and the command.
 */
export function parseStrict(argv: string[], options: OptionSpecs, command: string): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const r = parseArgs({ args: argv, options: { ...options }, strict: true, allowPositionals: true });
    return { values: r.values as Record<string, string | boolean | undefined>, positionals: r.positionals };
  } catch (e) {
    const err = e as { code?: string; message: string };
    // parseArgs names the option as "'-m, --message <value>'"; we name it by its long form.
    const quoted = /'([^']*)'/.exec(err.message)?.[1] ?? '';
    const option = quoted.replace(/ <value>$/, '').split(', ').pop();
    switch (err.code) {
      case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
        throw new UsageError(`unknown option "${option}" for "${command}" (an argument starting with "-" goes after "--")`);
      case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
        throw new UsageError(/argument missing/.test(err.message) ? `option "${option}" needs a value` : `option "${option}" takes no value`);
      default:
        throw new UsageError(err.message);
    }
  }
}
