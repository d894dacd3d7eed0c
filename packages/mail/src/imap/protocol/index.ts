// The IMAP protocol layer: framing, parsing and writing, no sockets and no storage.
export { ParseError } from './errors.js';
export { CommandReader, defaultReaderLimits, literalAnnouncement, LITERAL_MINUS_MAX } from './reader.js';
export type { ReaderEvent, ReaderLimits, ReaderMode } from './reader.js';
export { parseCommand, commandPrefix, SPECIAL_USE } from './commands.js';
export type { Command, CommandName, StatusItem, QresyncParams, ListSelection, ListReturn, AppendMessage, StoreAction } from './commands.js';
export { defaultParseOptions, dateTimeToDate } from './lexer.js';
export type { ParseOptions, RawCommand, ImapDate, ImapDateTime } from './lexer.js';
export { FETCH_MACROS, fetchItemName, sectionText } from './fetch-items.js';
export type { FetchItem, FetchAttribute, BodySection, FetchPartial } from './fetch-items.js';
export type { SearchKey, SearchArguments, SearchReturnOption, SearchFlagKey, SearchTextKey, SearchDateKey } from './search.js';
export { resolveSequenceSet, sequenceSetHas, compressSequenceSet, formatSequenceSet, MAX_UID } from './sequence.js';
export type { SequenceSet, SeqRange, SeqNumber } from './sequence.js';
export { encodeMailboxUtf7, decodeMailboxUtf7 } from './mutf7.js';
export {
  atom, quote, encodeValue, tagged, untagged, untaggedWith, untaggedStatus, continuation, continuationBase64, decodeSaslResponse,
  formatError, codes, mailboxName, flagList, flagListToken, fetchResponse, flagsFetchResponse, listResponse, statusResponse, searchResponse, esearchResponse, vanishedResponse,
} from './writer.js';
export type { WireValue, WriterOptions } from './writer.js';
