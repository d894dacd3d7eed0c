import { propertyNames, propertyValue, type Node, type PropContext } from './properties.js';
import { d, el, type OutElement } from './xml.js';
import type { XmlElement } from './xml-element.js';
import { NS } from './xml-element.js';

export type Value = (OutElement | string)[];

/** What a PROPFIND or REPORT asks for: named properties, all of them, or their names. */
export type PropRequest = { type: 'prop'; props: XmlElement[] } | { type: 'allprop'; include: XmlElement[] } | { type: 'propname' };

/** Reads the prop / allprop / propname child of a PROPFIND or REPORT body; none means allprop. */
export function propRequest(body: XmlElement | undefined): PropRequest {
  const prop = body?.children.find((c) => c.ns === NS.DAV && c.name === 'prop');
  if (prop) return { type: 'prop', props: prop.children };
  if (body?.children.some((c) => c.ns === NS.DAV && c.name === 'propname')) return { type: 'propname' };
  const include = body?.children.find((c) => c.ns === NS.DAV && c.name === 'include');
  return { type: 'allprop', include: include?.children ?? [] };
}

export const status = (code: number) => d('status', `HTTP/1.1 ${code} ${STATUS_TEXT[code] ?? ''}`.trimEnd());

const STATUS_TEXT: Record<number, string> = {
  200: 'OK', 201: 'Created', 204: 'No Content', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 424: 'Failed Dependency', 507: 'Insufficient Storage',
};

/**
 * One DAV:response of a multistatus, with a propstat per status. `special` answers properties that
 * only a REPORT knows (calendar-data, address-data); undefined from it means "not special".
 */
export async function propResponse(
  n: Node,
  request: PropRequest,
  c: PropContext,
  special?: (p: XmlElement) => Promise<Value | undefined | null>,
): Promise<OutElement> {
  const found: OutElement[] = [];
  const missing: OutElement[] = [];
  if (request.type === 'propname') {
    for (const p of await propertyNames(n, c, false)) found.push(el(p.ns, p.name));
  } else {
    let asked: { ns: string; name: string; xml?: XmlElement }[];
    if (request.type === 'prop') asked = request.props.map((p) => ({ ns: p.ns, name: p.name, xml: p }));
    else asked = [...(await propertyNames(n, c, true)), ...request.include.map((p) => ({ ns: p.ns, name: p.name, xml: p }))];
    const seen = new Set<string>();
    for (const p of asked) {
      const key = `{${p.ns}}${p.name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      // null from `special`: the property is one it knows, and this resource has no value for it.
      const sp = special && p.xml ? await special(p.xml) : undefined;
      const value = sp === null ? undefined : sp ?? (await propertyValue(n, p.ns, p.name, c));
      if (value === undefined) missing.push(el(p.ns, p.name));
      else found.push(el(p.ns, p.name, ...value));
    }
  }
  const propstats: OutElement[] = [];
  if (found.length > 0 || missing.length === 0) propstats.push(d('propstat', d('prop', ...found), status(200)));
  if (missing.length > 0) propstats.push(d('propstat', d('prop', ...missing), status(404)));
  return d('response', d('href', n.href), ...propstats);
}

export function statusResponse(href: string, code: number): OutElement {
  return d('response', d('href', href), status(code));
}

/**
 * The response for the collection a query was cut short in (RFC 5323 5.17, RFC 6352 8.6.1): 507
 * with DAV:number-of-matches-within-limits, saying how many were returned.
 */
export function limitedResponse(href: string, returned: number): OutElement {
  return d(
    'response',
    d('href', href),
    status(507),
    d('error', d('number-of-matches-within-limits')),
    d('responsedescription', `only the first ${returned} matches are returned`),
  );
}

export const multistatus = (...responses: (OutElement | undefined)[]) => d('multistatus', ...responses);
