// @nymote/dav: contacts and calendars (CardDAV, CalDAV) on the versioned store.
export { NS, child, children, type XmlElement } from './xml-element.js';
export { createDavHandler, type DavHandler, type DavHandlerOptions } from './handler.js';
export { createDavServer, type DavServerOptions } from './server.js';
export { parseXml, serialize, XmlError } from './xml.js';
export { DavError } from './errors.js';
export { COLLECTION_FILE, DEFAULT_COLLECTION, type CollectionProps, type Kind } from './layout.js';
