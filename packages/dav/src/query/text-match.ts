import type { XmlElement } from '../xml-element.js';
import { QueryError } from './errors.js';
import type { Collation, MatchType, TextMatch } from './types.js';

const COLLATIONS: readonly Collation[] = ['i;ascii-casemap', 'i;octet', 'i;unicode-casemap'];
const MATCH_TYPES: readonly MatchType[] = ['equals', 'contains', 'starts-with', 'ends-with'];

/**
 * Reads a text-match element. CalDAV (RFC 4791 9.7.5) has no match-type (always substring) and
 * defaults to i;ascii-casemap; CardDAV (RFC 6352 10.5.4) adds match-type and defaults to
 * i;unicode-casemap, so the caller passes the protocol's defaults.
 */
export function parseTextMatch(
  el: XmlElement,
  defaults: { collation: Collation; allowMatchType: boolean },
): TextMatch {
  const collation = (el.attrs['collation'] ?? defaults.collation) as Collation;
  if (!COLLATIONS.includes(collation)) {
    throw new QueryError(`unsupported collation ${JSON.stringify(collation)}`, 'supported-collation');
  }
  let matchType: MatchType = 'contains';
  if (defaults.allowMatchType && el.attrs['match-type'] !== undefined) {
    matchType = el.attrs['match-type'] as MatchType;
    if (!MATCH_TYPES.includes(matchType)) {
      throw new QueryError(`unsupported match-type ${JSON.stringify(matchType)}`, 'supported-filter');
    }
  }
  const negateAttr = el.attrs['negate-condition'] ?? 'no';
  if (negateAttr !== 'yes' && negateAttr !== 'no') {
    throw new QueryError(`negate-condition must be "yes" or "no"`, 'valid-filter');
  }
  return { value: el.text, collation, matchType, negate: negateAttr === 'yes' };
}

function fold(s: string, collation: Collation): string {
  switch (collation) {
    case 'i;octet':
      return s;
    case 'i;ascii-casemap':
      // Only ASCII letters fold (RFC 4790 9.2): 'É' and 'é' stay distinct under this collation.
      return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
    case 'i;unicode-casemap':
      // RFC 5051 approximated: full case folding via upper-then-lower, then NFKD so that
      // composed and decomposed accents compare equal.
      return s.toUpperCase().toLowerCase().normalize('NFKD');
  }
}

/** The raw comparison, without negate-condition. */
function matchesOne(candidate: string, tm: TextMatch): boolean {
  const c = fold(candidate, tm.collation);
  const v = fold(tm.value, tm.collation);
  switch (tm.matchType) {
    case 'equals':
      return c === v;
    case 'contains':
      return c.includes(v);
    case 'starts-with':
      return c.startsWith(v);
    case 'ends-with':
      return c.endsWith(v);
  }
}

/**
 * True when any of the candidate strings (a property's text and its individual values) match,
 * with negate-condition applied to the result as a whole: a negated match means "no value matches".
 */
export function textMatches(candidates: string[], tm: TextMatch): boolean {
  const hit = candidates.some((c) => matchesOne(c, tm));
  return tm.negate ? !hit : hit;
}
