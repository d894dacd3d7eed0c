// @nymote/dav: contacts and calendars (CardDAV, CalDAV) on the versioned store.
export { NS, child, children, type XmlElement } from './xml-element.js';
