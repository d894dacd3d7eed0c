// The message module of the IMAP server: structure, ENVELOPE, BODY/BODYSTRUCTURE, sections and
// BINARY, and the text SEARCH needs. Pure functions over the raw message bytes.
export { type MimePart, type Disposition, MAX_DEPTH, parseStructure, mediaType, isMultipart } from './structure.js';
export { type HeaderField, parseHeader, headerValue, fieldValue, unfold } from './headers.js';
export { type MimeParam, paramValue, decodeExtendedValue } from './params.js';
export { type Address, MISSING_MAILBOX, MISSING_DOMAIN, parseAddressList } from './addresses.js';
export { envelope, addressList } from './envelope.js';
export { bodyStructure } from './body-structure.js';
export {
  type SectionSpec, type SectionText, type BinaryResult,
  findPart, sectionBytes, headerFields, partial, binarySection, binarySize,
} from './sections.js';
export { decodeTransfer, decodedSize, knownEncoding, decodeBase64, decodeQuotedPrintable } from './decode.js';
export { decodeCharset, knownCharset } from './charsets.js';
export { decodeEncodedWords } from './encoded-words.js';
export { type MessageDate, parseDate } from './dates.js';
export {
  foldForSearch, matchesSearch, headerTexts, headerText, partText, bodyText, messageText, htmlToText,
} from './search-text.js';
export { type MessageSummary, type SummaryField, type SummaryAddress, summarize, messageIds } from './summary.js';
export { toCrlf } from './crlf.js';
