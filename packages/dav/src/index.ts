// @nymote/dav: contacts and calendars (CardDAV, CalDAV) on the versioned store.
export { NS, child, children, type XmlElement } from './xml-element.js';
export { createDavHandler, type DavHandler, type DavHandlerOptions } from './handler.js';
export { createDavServer, type DavServerOptions } from './server.js';
export { parseXml, serialize, XmlError } from './xml.js';
export { DavError } from './errors.js';
export { Authenticator } from './auth.js';
export { COLLECTION_FILE, DEFAULT_COLLECTION, type CollectionProps, type Kind } from './layout.js';
export { isCollectionName } from './layout.js';
// Import and export of whole calendars (.ics) and address books (.vcf).
export {
  importCalendar, importAddressBook, describeProblem, resourceNameFor, ImportError, DEFAULT_MAX_RESOURCE_SIZE,
  type ImportOptions, type ImportProblem, type ImportResult,
} from './import/import.js';
export { exportCalendar, exportAddressBook, type ExportResult, type TextSink } from './import/export.js';
export { splitICalendar, type SplitCalendar } from './import/split-ics.js';
export { splitVCards } from './import/split-vcf.js';
export type { ByteSource } from './import/content-lines.js';
export type { ImportProgress, ProgressListener, SplitEntry } from './import/entry.js';
/** Generated calendars and address books, for tests and benchmarks. */
export { sampleCalendar, sampleVCards, sampleUid, type SampleCalendar } from './import/sample.js';
