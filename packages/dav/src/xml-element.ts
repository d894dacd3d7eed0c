/**
 * A parsed XML element with namespaces resolved: what the DAV request parser produces and what the
 * query engines read, so that neither depends on the XML library's own output shape.
 */
export interface XmlElement {
  /** The namespace URI ("DAV:", "urn:ietf:params:xml:ns:caldav", ...); '' when none. */
  ns: string;
  /** The local name ("comp-filter"). */
  name: string;
  /** Attributes by local name (namespaced attributes are rare in DAV and are keyed by local name too). */
  attrs: Record<string, string>;
  children: XmlElement[];
  /** The element's own text (concatenated text nodes), untrimmed. */
  text: string;
}

export const NS = {
  DAV: 'DAV:',
  CALDAV: 'urn:ietf:params:xml:ns:caldav',
  CARDDAV: 'urn:ietf:params:xml:ns:carddav',
  CALENDARSERVER: 'http://calendarserver.org/ns/',
} as const;

/** The first child named `name` in namespace `ns`. */
export function child(el: XmlElement, ns: string, name: string): XmlElement | undefined {
  return el.children.find((c) => c.ns === ns && c.name === name);
}

/** Every child named `name` in namespace `ns`. */
export function children(el: XmlElement, ns: string, name: string): XmlElement[] {
  return el.children.filter((c) => c.ns === ns && c.name === name);
}
