import { NS, type XmlElement } from '../xml-element.js';
import { QueryError } from './errors.js';
import { parameterValues, parseVCard, propertyTexts, type Component, type Property } from './ical.js';
import { parseTextMatch, textMatches } from './text-match.js';
import type { AddressbookFilter, AddressbookParamFilter, AddressbookPropFilter } from './types.js';

// RFC 6352 10.5.4: match-type is allowed and the default collation is i;unicode-casemap.
const TEXT_DEFAULTS = { collation: 'i;unicode-casemap', allowMatchType: true } as const;

function parseTest(el: XmlElement): 'anyof' | 'allof' {
  const t = el.attrs['test'] ?? 'anyof';
  if (t !== 'anyof' && t !== 'allof') throw new QueryError(`test must be anyof or allof, got ${JSON.stringify(t)}`, 'valid-filter');
  return t;
}

function requireName(el: XmlElement): string {
  const name = el.attrs['name']?.trim();
  if (!name) throw new QueryError(`${el.name} needs a name attribute`, 'valid-filter');
  return name.toUpperCase();
}

function carddavChildren(el: XmlElement, allowed: string[]): XmlElement[] {
  const out: XmlElement[] = [];
  for (const c of el.children) {
    if (c.ns !== NS.CARDDAV) continue;
    if (!allowed.includes(c.name)) throw new QueryError(`unexpected ${c.name} in ${el.name}`, 'valid-filter');
    out.push(c);
  }
  return out;
}

function parseParamFilter(el: XmlElement): AddressbookParamFilter {
  const kids = carddavChildren(el, ['is-not-defined', 'text-match']);
  const f: AddressbookParamFilter = { name: requireName(el), isNotDefined: kids.some((k) => k.name === 'is-not-defined') };
  const tms = kids.filter((k) => k.name === 'text-match');
  if (tms.length > 1) throw new QueryError('at most one text-match in a param-filter', 'valid-filter');
  if (f.isNotDefined && tms.length) throw new QueryError('is-not-defined excludes text-match', 'valid-filter');
  if (tms[0]) f.textMatch = parseTextMatch(tms[0], TEXT_DEFAULTS);
  return f;
}

function parsePropFilter(el: XmlElement): AddressbookPropFilter {
  const kids = carddavChildren(el, ['is-not-defined', 'text-match', 'param-filter']);
  const f: AddressbookPropFilter = {
    name: requireName(el),
    test: parseTest(el),
    isNotDefined: kids.some((k) => k.name === 'is-not-defined'),
    textMatches: kids.filter((k) => k.name === 'text-match').map((k) => parseTextMatch(k, TEXT_DEFAULTS)),
    paramFilters: kids.filter((k) => k.name === 'param-filter').map(parseParamFilter),
  };
  if (f.isNotDefined && kids.length > 1) throw new QueryError('is-not-defined must stand alone', 'valid-filter');
  return f;
}

/** The CR:filter of an addressbook-query (RFC 6352 10.5): prop-filters combined by test. */
export function parseAddressbookFilter(filter: XmlElement): AddressbookFilter {
  if (filter.ns !== NS.CARDDAV || filter.name !== 'filter') {
    throw new QueryError(`expected CR:filter, got ${filter.name}`, 'valid-filter');
  }
  return {
    test: parseTest(filter),
    propFilters: carddavChildren(filter, ['prop-filter']).map(parsePropFilter),
  };
}

function paramMatches(prop: Property, f: AddressbookParamFilter): boolean {
  const values = parameterValues(prop, f.name);
  if (f.isNotDefined) return values === undefined;
  if (values === undefined) return false;
  if (!f.textMatch) return true;
  return textMatches(values.length > 1 ? [values.join(','), ...values] : values, f.textMatch);
}

/**
 * RFC 6352 10.5.1: with no tests the property only has to exist; otherwise one property of that
 * name must pass its text-matches and param-filters, combined by the prop-filter's test.
 */
function propMatches(card: Component, f: AddressbookPropFilter): boolean {
  // vCard 3 groups (item1.EMAIL) are parsed by ical.js into a "group" parameter, so the bare name
  // finds grouped properties too.
  const props = card.getAllProperties(f.name.toLowerCase());
  if (f.isNotDefined) return props.length === 0;
  if (props.length === 0) return false;
  return props.some((p) => {
    const results = [
      ...f.textMatches.map((tm) => () => textMatches(propertyTexts(p), tm)),
      ...f.paramFilters.map((pf) => () => paramMatches(p, pf)),
    ];
    if (results.length === 0) return true;
    return f.test === 'allof' ? results.every((r) => r()) : results.some((r) => r());
  });
}

/** Whether a stored vCard matches; an empty filter matches every card, unparseable text none. */
export function matchVCard(vcf: string, filter: AddressbookFilter): boolean {
  const card = parseVCard(vcf);
  if (!card) return false;
  if (filter.propFilters.length === 0) return true;
  try {
    const test = (f: AddressbookPropFilter) => propMatches(card, f);
    return filter.test === 'allof' ? filter.propFilters.every(test) : filter.propFilters.some(test);
  } catch {
    return false;
  }
}
