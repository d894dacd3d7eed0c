// Helpers for the IMAP protocol tests: drive a CommandReader the way a session does.
import assert from 'node:assert/strict';
import { CommandReader } from '../src/imap/protocol/index.js';
import type { Command, ParseError, ParseOptions, ReaderEvent, ReaderLimits } from '../src/imap/protocol/index.js';

export interface RunOptions { limits?: Partial<ReaderLimits>; parse?: Partial<ParseOptions>; reader?: CommandReader }

const bytes = (c: string | Uint8Array) => (typeof c === 'string' ? Buffer.from(c, 'latin1') : c);

/**
 * Pushes each chunk and drains the reader after each, accepting every synchronising literal as a
 * session would by sending "+". Returns every event in order.
 */
export function run(chunks: string | Uint8Array | Array<string | Uint8Array>, options: RunOptions = {}): { events: ReaderEvent[]; reader: CommandReader } {
  const reader = options.reader ?? new CommandReader(options);
  const events: ReaderEvent[] = [];
  for (const c of Array.isArray(chunks) ? chunks : [chunks]) {
    reader.push(bytes(c));
    for (let e = reader.next(); e; e = reader.next()) events.push(e);
  }
  return { events, reader };
}

/** The commands and errors of a run, continuation events left out. */
export function outcomes(events: ReaderEvent[]): Array<Command | ParseError> {
  return events.flatMap<Command | ParseError>((e) => (e.type === 'command' ? [e.command] : e.type === 'error' ? [e.error] : []));
}

/** Parses one command (a full line with CRLF added when missing); fails unless it parses. */
export function parse(text: string, parse?: Partial<ParseOptions>): Command {
  const input = text.endsWith('\n') ? text : text + '\r\n';
  const out = outcomes(run(input, { parse }).events);
  assert.equal(out.length, 1, `one outcome for ${JSON.stringify(text)}`);
  const c = out[0]!;
  if (c instanceof Error) assert.fail(`${JSON.stringify(text)} did not parse: ${c.message}`);
  return c;
}

/** The ParseError one command gives; fails if it parses. */
export function reject(text: string, parse?: Partial<ParseOptions>): ParseError {
  const input = text.endsWith('\n') ? text : text + '\r\n';
  const out = outcomes(run(input, { parse }).events);
  assert.equal(out.length, 1, `one outcome for ${JSON.stringify(text)}`);
  const e = out[0]!;
  if (!(e instanceof Error)) assert.fail(`${JSON.stringify(text)} parsed, expected an error`);
  return e;
}

/** Text of literal data, for comparisons. */
export const text = (b: Uint8Array) => Buffer.from(b).toString('latin1');
