// RFC 5322 section 3.4 address lists, with the obsolete forms of section 4.4 (routes, empty list
// elements, comments as names), read leniently: whatever a header holds, we return what we could
// make of it. Input and output strings are binary strings (see bytes.ts).

/** One mailbox, or a group marker: a group start has `group` set, a group end has everything null. */
export interface Address {
  /** Display name (quoted strings unquoted, encoded words left as they are). */
  name: string | null;
  /** Obsolete source route, "@a.example,@b.example". */
  route: string | null;
  mailbox: string | null;
  host: string | null;
  /** For a group start: the group's name. */
  group?: string;
}

/** What Dovecot puts where a mailbox or domain is missing, so clients never see a group marker. */
export const MISSING_MAILBOX = 'MISSING_MAILBOX';
export const MISSING_DOMAIN = 'MISSING_DOMAIN';

type Token =
  | { t: 'word'; v: string; quoted: boolean; space: boolean; broken?: boolean }
  | { t: 'special'; v: string; space: boolean }
  | { t: 'literal'; v: string; space: boolean }
  | { t: 'comment'; v: string; space: boolean };

const SPECIALS = '<>@,;:.[]';

function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let space = false;
  while (i < s.length) {
    const c = s[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') { space = true; i++; continue; }
    if (c === '(') {
      let depth = 1;
      let v = '';
      i++;
      while (i < s.length && depth > 0) {
        const d = s[i]!;
        if (d === '\\' && i + 1 < s.length) { v += s[i + 1]; i += 2; continue; }
        if (d === '(') depth++;
        else if (d === ')') { depth--; if (depth === 0) { i++; break; } }
        v += d;
        i++;
      }
      out.push({ t: 'comment', v: v.trim(), space });
      space = true;
      continue;
    }
    if (c === '"') {
      let v = '';
      i++;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === '\\' && i + 1 < s.length) i++;
        v += s[i];
        i++;
      }
      const broken = i >= s.length;
      i++;
      out.push({ t: 'word', v, quoted: true, space, broken });
      space = false;
      continue;
    }
    if (c === '[') {
      const close = s.indexOf(']', i);
      const end = close < 0 ? s.length : close + 1;
      out.push({ t: 'literal', v: s.slice(i, end).replace(/\s+/g, ''), space });
      i = end;
      space = false;
      continue;
    }
    if (SPECIALS.includes(c)) {
      out.push({ t: 'special', v: c, space });
      i++;
      space = false;
      continue;
    }
    let j = i;
    while (j < s.length && !' \t\r\n()"'.includes(s[j]!) && !SPECIALS.includes(s[j]!)) j++;
    // A stray ")" is no token of anything: skip it.
    if (j === i) { i++; space = true; continue; }
    out.push({ t: 'word', v: s.slice(i, j), quoted: false, space });
    i = j;
    space = false;
  }
  return out;
}

const ATEXT = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\x80-\xff]+$/;

class AddressParser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }

  private isSpecial(v: string): boolean {
    const t = this.peek();
    return t !== undefined && t.t === 'special' && t.v === v;
  }

  list(): Address[] {
    const out: Address[] = [];
    while (this.i < this.tokens.length) {
      if (this.isSpecial(',') || this.isSpecial(';') || this.isSpecial('>')) { this.i++; continue; }
      const before = this.i;
      this.address(out, false);
      if (this.i === before) this.i++;
    }
    return out;
  }

  /** One address (or a whole group, when not already in one) appended to `out`. */
  private address(out: Address[], inGroup: boolean): void {
    const phraseStart = this.i;
    const { text: phrase, comments } = this.phrase();
    const t = this.peek();
    if (t?.t === 'special' && t.v === ':' && !inGroup) {
      this.i++;
      out.push({ name: null, route: null, mailbox: null, host: null, group: phrase });
      while (this.i < this.tokens.length && !this.isSpecial(';')) {
        if (this.isSpecial(',')) { this.i++; continue; }
        const before = this.i;
        this.address(out, true);
        if (this.i === before) this.i++;
      }
      if (this.isSpecial(';')) this.i++;
      out.push({ name: null, route: null, mailbox: null, host: null });
      return;
    }
    if (t?.t === 'special' && t.v === '<') {
      this.i++;
      const route = this.route();
      const { mailbox, host } = this.addrSpec();
      while (this.i < this.tokens.length && !this.isSpecial('>') && !this.isSpecial(',')) this.i++;
      if (this.isSpecial('>')) this.i++;
      const trailing = this.comments();
      out.push(mailboxOf(phrase || comments[0] || trailing[0] || null, route, mailbox, host));
      return;
    }
    // No angle brackets: the phrase read so far is the local part of an addr-spec.
    this.i = phraseStart;
    const before = this.i;
    const { mailbox, host } = this.addrSpec();
    const trailing = this.comments();
    if (mailbox === null && host === null && this.i === before + trailing.length) return;
    // The obsolete "addr (Name)" form: the comment is the only name there is.
    out.push(mailboxOf(trailing[0] ?? null, null, mailbox, host));
  }

  /** Words up to a special other than "." (obs-phrase allows dots), with the comments seen. */
  private phrase(): { text: string; comments: string[] } {
    let text = '';
    const comments: string[] = [];
    for (let t = this.peek(); t; t = this.peek()) {
      if (t.t === 'comment') { comments.push(t.v); this.i++; continue; }
      if (t.t === 'word' || (t.t === 'special' && t.v === '.') || t.t === 'literal') {
        text += (text && t.space ? ' ' : '') + t.v;
        this.i++;
        continue;
      }
      break;
    }
    return { text, comments };
  }

  private comments(): string[] {
    const out: string[] = [];
    for (let t = this.peek(); t?.t === 'comment'; t = this.peek()) { out.push(t.v); this.i++; }
    return out;
  }

  /** The obsolete route "@a,@b:" inside angle brackets. */
  private route(): string | null {
    const save = this.i;
    const domains: string[] = [];
    while (this.isSpecial('@')) {
      this.i++;
      domains.push('@' + this.dotted());
      while (this.isSpecial(',')) this.i++;
    }
    if (domains.length && this.isSpecial(':')) { this.i++; return domains.join(','); }
    this.i = save;
    return null;
  }

  /** local-part "@" domain, either side possibly missing. */
  private addrSpec(): { mailbox: string | null; host: string | null } {
    const local = this.dotted(true);
    let host: string | null = null;
    if (this.isSpecial('@')) {
      this.i++;
      host = this.dotted() || null;
    }
    return { mailbox: local || null, host };
  }

  /** Words and dots joined without blanks (a dot-atom, or the obsolete words-with-dots form). */
  private dotted(local = false): string {
    let v = '';
    let word = false;
    for (let t = this.peek(); t; t = this.peek()) {
      // Two words in a row are not one dotted name: "a.b c" ends after "b".
      if (word && (t.t === 'word' || t.t === 'literal')) break;
      if (t.t !== 'comment') word = t.t === 'word' || t.t === 'literal';
      if (t.t === 'comment') {
        // A comment inside "a(x).b" is skipped; one after the address is the caller's to read.
        let j = this.i;
        while (this.tokens[j]?.t === 'comment') j++;
        const after = this.tokens[j];
        const inside = v.endsWith('.') || v.endsWith('@') || (after?.t === 'special' && (after.v === '.' || after.v === '@'));
        if (!inside) break;
        this.i = j;
        continue;
      }
      if (t.t === 'word') {
        // A quoted local part keeps its quotes only when it needs them.
        // An unterminated quoted string is no local part at all.
        if (!t.broken) v += local && t.quoted && !ATEXT.test(t.v.replace(/\./g, '')) ? quote(t.v) : t.v;
      } else if (t.t === 'literal' || (t.t === 'special' && t.v === '.')) v += t.v;
      else break;
      this.i++;
    }
    return v;
  }
}

function quote(s: string): string {
  return '"' + s.replace(/[\\"]/g, (c) => '\\' + c) + '"';
}

function mailboxOf(name: string | null, route: string | null, mailbox: string | null, host: string | null): Address {
  return { name: name || null, route, mailbox: mailbox ?? MISSING_MAILBOX, host: host ?? MISSING_DOMAIN };
}

/** Parses an address-list header value (a binary string, unfolded). */
export function parseAddressList(value: string): Address[] {
  return new AddressParser(tokenize(value)).list();
}
