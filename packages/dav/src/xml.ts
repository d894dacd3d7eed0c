import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { NS, type XmlElement } from './xml-element.js';

/** Why a request body is not the XML we can read; the handler answers 400. */
export class XmlError extends Error {}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  removeNSPrefix: false,
  trimValues: false,
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: true,
  // Character references (&#65536;, &#xE9;) are decoded only with this; it also takes HTML's named entities.
  htmlEntities: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

type Ordered = Record<string, unknown>;

/**
 * Parses an XML request body into XmlElements with namespace prefixes resolved. Documents with a
 * DOCTYPE are refused: DAV never needs one, and entity definitions are the way to blow up a parser.
 */
export function parseXml(text: string): XmlElement {
  if (/<!DOCTYPE/i.test(text)) throw new XmlError('XML with a DOCTYPE is not accepted');
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new XmlError(`malformed XML: ${valid.err.msg} (line ${valid.err.line})`);
  const nodes = parser.parse(text) as Ordered[];
  const roots = nodes.filter((n) => elementName(n) !== undefined);
  if (roots.length !== 1) throw new XmlError('the XML body must have exactly one root element');
  return convert(roots[0]!, new Map([['xml', 'http://www.w3.org/XML/1998/namespace']]));
}

function elementName(node: Ordered): string | undefined {
  return Object.keys(node).find((k) => k !== ':@' && k !== '#text' && k !== '#comment' && !k.startsWith('?'));
}

function convert(node: Ordered, inherited: Map<string, string>): XmlElement {
  const qname = elementName(node)!;
  const rawAttrs = (node[':@'] ?? {}) as Record<string, string>;
  let scope = inherited;
  for (const [k, v] of Object.entries(rawAttrs)) {
    if (k === 'xmlns' || k.startsWith('xmlns:')) {
      // Namespaces in XML 1.0 (NSC: No Prefix Undeclaring): only the default namespace may be emptied.
      if (k !== 'xmlns' && String(v) === '') throw new XmlError(`the prefix "${k.slice(6)}" is bound to an empty namespace name`);
      if (scope === inherited) scope = new Map(inherited);
      scope.set(k === 'xmlns' ? '' : k.slice(6), String(v));
    }
  }
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(rawAttrs)) {
    if (k === 'xmlns' || k.startsWith('xmlns:')) continue;
    attrs[k.includes(':') ? k.slice(k.indexOf(':') + 1) : k] = String(v);
  }
  const colon = qname.indexOf(':');
  const prefix = colon < 0 ? '' : qname.slice(0, colon);
  const ns = scope.get(prefix);
  if (ns === undefined && prefix !== '') throw new XmlError(`undeclared namespace prefix "${prefix}"`);
  const el: XmlElement = { ns: ns ?? '', name: colon < 0 ? qname : qname.slice(colon + 1), attrs, children: [], text: '' };
  const content = node[qname];
  if (Array.isArray(content)) {
    for (const c of content as Ordered[]) {
      if ('#text' in c) el.text += String(c['#text']);
      else if (elementName(c) !== undefined) el.children.push(convert(c, scope));
    }
  }
  return el;
}

// ---- writing ---------------------------------------------------------------------------------

/** An element to write: built with `el()`, turned into text by `serialize()`. */
export interface OutElement {
  ns: string;
  name: string;
  attrs?: Record<string, string>;
  children?: (OutElement | string)[];
}

export function el(ns: string, name: string, ...children: (OutElement | string | undefined)[]): OutElement {
  return { ns, name, children: children.filter((c): c is OutElement | string => c !== undefined) };
}

export const d = (name: string, ...children: (OutElement | string | undefined)[]) => el(NS.DAV, name, ...children);

/** Escapes text for XML content (`attribute`: also quotes, for attribute values). */
export function escapeXml(s: string, attribute = true): string {
  // A literal CR is read back as LF by every XML parser (XML 1.0, 2.11): calendar-data and
  // address-data would reach the client without the CRLF line ends of the stored bytes their ETag
  // names (RFC 5545, 3.1). As a character reference it survives.
  return s.replace(attribute ? /[&<>"'\r]/g : /[&<>\r]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\r': '&#13;' })[c]!)
    // Characters XML 1.0 cannot carry at all; a vCard with a stray control byte must not break the response.
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '');
}

const PREFIXES: Record<string, string> = {
  [NS.DAV]: 'D',
  [NS.CALDAV]: 'C',
  [NS.CARDDAV]: 'CR',
  [NS.CALENDARSERVER]: 'CS',
  'http://apple.com/ns/ical/': 'ICAL',
};

/** The XML text of a document whose root is `root`; the usual DAV namespaces are declared on the root. */
export function serialize(root: OutElement): string {
  const extra = new Map<string, string>();
  const collect = (e: OutElement) => {
    if (e.ns && !PREFIXES[e.ns] && !extra.has(e.ns)) extra.set(e.ns, `x${extra.size}`);
    for (const c of e.children ?? []) if (typeof c !== 'string') collect(c);
  };
  collect(root);
  const prefixOf = (ns: string) => PREFIXES[ns] ?? extra.get(ns);
  const decls = [...Object.entries(PREFIXES), ...extra.entries()].map(([ns, p]) => ` xmlns:${p}="${escapeXml(ns)}"`).join('');
  const write = (e: OutElement, top: boolean): string => {
    // An element in no namespace cannot take a prefix; it resets the default namespace instead.
    const tag = e.ns ? `${prefixOf(e.ns)}:${e.name}` : e.name;
    let s = `<${tag}${top ? decls : ''}${e.ns ? '' : ' xmlns=""'}`;
    for (const [k, v] of Object.entries(e.attrs ?? {})) s += ` ${k}="${escapeXml(v)}"`;
    const kids = e.children ?? [];
    if (kids.length === 0) return `${s}/>`;
    return `${s}>${kids.map((c) => (typeof c === 'string' ? escapeXml(c, false) : write(c, false))).join('')}</${tag}>`;
  };
  return `<?xml version="1.0" encoding="utf-8"?>\n${write(root, true)}\n`;
}

/** An XmlElement (from a request) as an element to write back, e.g. a property name in a response. */
export function echo(e: XmlElement, withContent = false): OutElement {
  return { ns: e.ns, name: e.name, children: withContent ? [...e.children.map((c) => echo(c, true)), ...(e.text.trim() && e.children.length === 0 ? [e.text] : [])] : [] };
}

/** "{ns}name", how properties are keyed in maps and in a collection's stored properties. */
export function clark(ns: string, name: string): string {
  return `{${ns}}${name}`;
}
