import { NS, type XmlElement } from '../xml-element.js';
import { mediaType, parsePropSelection, withoutValue, type PropSelection } from './calendar-data.js';
import { parseContent, serializeContent, type ContentComponent } from './content-lines.js';
import { QueryError } from './errors.js';
import { convertCard } from './vcard-convert.js';

/** A parsed CARDDAV:address-data request element (RFC 6352 10.4). */
export interface AddressDataRequest {
  /** The vCard version asked for; undefined: the version the card is stored in. */
  version?: '3.0' | '4.0';
  /** undefined: every property (an empty address-data or allprop). */
  props?: PropSelection[];
}

/**
 * Reads a CARDDAV:address-data element. Throws QueryError with 'supported-address-data' for a
 * media type other than text/vcard 3.0 or 4.0, without a precondition (a 400) when malformed.
 *
 * RFC 6352 makes version 3.0 the default; without a version attribute the card is returned in the
 * version it was stored in instead, since a client sending none reads the cards it wrote (and
 * one that wants a version names it).
 */
export function parseAddressData(el: XmlElement): AddressDataRequest {
  const type = el.attrs['content-type'];
  const version = el.attrs['version']?.trim();
  if ((type !== undefined && mediaType(type) !== 'text/vcard') || (version !== undefined && version !== '3.0' && version !== '4.0')) {
    throw new QueryError(
      `address-data as ${type ?? 'text/vcard'} version ${version ?? '(any)'} is not supported (text/vcard 3.0 and 4.0 are)`,
      'supported-address-data',
    );
  }
  const req: AddressDataRequest = {};
  if (version === '3.0' || version === '4.0') req.version = version;
  const children: XmlElement[] = [];
  for (const c of el.children) {
    if (c.ns !== NS.CARDDAV) continue;
    if (c.name !== 'allprop' && c.name !== 'prop') throw new QueryError(`unexpected ${c.name} in address-data (it takes allprop or prop)`);
    children.push(c);
  }
  const all = children.some((c) => c.name === 'allprop');
  const props = children.filter((c) => c.name === 'prop');
  if (all && props.length > 0) throw new QueryError('address-data has both allprop and prop');
  if (props.length > 0) req.props = props.map(parsePropSelection);
  return req;
}

export function isPlainAddressData(req: AddressDataRequest): boolean {
  return req.version === undefined && req.props === undefined;
}

/**
 * The address-data a REPORT returns: the stored card, converted when another version is asked
 * for, reduced to the selected properties. VERSION is always kept (BEGIN and END too): without it
 * the card cannot be read, least of all after a conversion. undefined when the card cannot be
 * converted (it does not parse or declares no 3.0/4.0 VERSION), which the server answers with
 * CARDDAV:supported-address-data-conversion.
 */
export function addressData(vcf: string, req: AddressDataRequest): string | undefined {
  if (isPlainAddressData(req)) return vcf;
  let card: ContentComponent | undefined = parseContent(vcf);
  if (!card || card.name !== 'VCARD') return req.version ? undefined : vcf;
  if (req.version) card = convertCard(card, req.version);
  if (!card) return undefined;
  const props = req.props;
  if (props) {
    const items: ContentComponent['items'] = [];
    for (const item of card.items) {
      if (item.kind !== 'line') continue;
      const p = props.find((x) => x.name === item.name);
      if (item.name === 'VERSION') items.push(item);
      else if (p) items.push(p.novalue ? withoutValue(item) : item);
    }
    card = { ...card, items };
  }
  return serializeContent(card);
}
