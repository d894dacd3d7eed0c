import { headLength, newLine, parseContent, serializeContent, type ContentComponent, type ContentLine } from './content-lines.js';

/**
 * vCard 3.0 (RFC 2426) <-> 4.0 (RFC 6350) for address-data with a version the stored card is not
 * in (RFC 6352 10.4). Cards are stored as the client gave them; a client asking for the other
 * version gets a converted copy. What changes between the versions for the properties clients
 * use is converted; everything else passes through unchanged:
 *
 * - VERSION; TYPE=pref <-> PREF=1; EMAIL's 3.0-only TYPE=internet is dropped going to 4.0;
 * - inline PHOTO/LOGO/SOUND/KEY: ENCODING=b;TYPE=JPEG <-> a data: URI; 3.0 links get VALUE=uri;
 * - TEL;VALUE=uri:tel:... (4.0) <-> a plain text number (3.0);
 * - KIND and MEMBER (4.0) <-> Apple's X-ADDRESSBOOKSERVER-KIND / -MEMBER (3.0 groups);
 * - parameters 3.0 does not know (PID, ALTID, MEDIATYPE, CALSCALE, SORT-AS, INDEX, LEVEL) are
 *   dropped going to 3.0, CHARSET going to 4.0 (4.0 is UTF-8 only);
 * - a 4.0 card without N gets one (3.0 requires it) holding FN as the family name.
 */

interface Param {
  name: string;
  values: string[];
}

interface Parsed {
  group: string | undefined;
  name: string;
  params: Param[];
  value: string;
}

/** Splits at `sep` outside double quotes. */
function splitUnquoted(s: string, sep: string): string[] {
  const out: string[] = [];
  let quoted = false;
  let cur = '';
  for (const c of s) {
    if (c === '"') quoted = !quoted;
    if (c === sep && !quoted) {
      out.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  out.push(cur);
  return out;
}

const unquote = (s: string) => (s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1) : s);

function parseLine(text: string): Parsed {
  const h = headLength(text);
  const [nameWithGroup, ...rawParams] = splitUnquoted(text.slice(0, h), ';');
  const dot = nameWithGroup!.lastIndexOf('.');
  const params: Param[] = [];
  for (const rp of rawParams) {
    const eq = rp.indexOf('=');
    // A bare parameter ("TEL;CELL:...") is vCard 2.1's way of writing a TYPE.
    if (eq < 0) params.push({ name: 'TYPE', values: [rp] });
    else {
      const name = rp.slice(0, eq).toUpperCase();
      const values = splitUnquoted(rp.slice(eq + 1), ',').map(unquote);
      // 4.0 writers quote the TYPE list as one value (TYPE="voice,cell"); it is still a list.
      params.push({ name, values: name === 'TYPE' ? values.flatMap((v) => v.split(',')) : values });
    }
  }
  return {
    group: dot >= 0 ? nameWithGroup!.slice(0, dot) : undefined,
    name: (dot >= 0 ? nameWithGroup!.slice(dot + 1) : nameWithGroup!).toUpperCase(),
    params,
    value: h < text.length ? text.slice(h + 1) : '',
  };
}

function writeLine(p: Parsed): string {
  let s = (p.group ? `${p.group}.` : '') + p.name;
  for (const param of p.params) {
    if (param.values.length === 0) continue;
    const vs = param.values.map((v) => (/[;:,]/.test(v) ? `"${v.replace(/"/g, '')}"` : v));
    s += `;${param.name}=${vs.join(',')}`;
  }
  return `${s}:${p.value}`;
}

function param(p: Parsed, name: string): Param | undefined {
  return p.params.find((x) => x.name === name);
}

function removeParams(p: Parsed, names: string[]): void {
  p.params = p.params.filter((x) => !names.includes(x.name));
}

/** Removes a TYPE value (case-insensitively); true when it was there. */
function takeType(p: Parsed, type: string): boolean {
  let found = false;
  for (const prm of p.params) {
    if (prm.name !== 'TYPE') continue;
    const before = prm.values.length;
    prm.values = prm.values.filter((v) => v.toLowerCase() !== type);
    if (prm.values.length !== before) found = true;
  }
  p.params = p.params.filter((x) => x.name !== 'TYPE' || x.values.length > 0);
  return found;
}

function addType(p: Parsed, type: string): void {
  const t = param(p, 'TYPE');
  if (t) t.values.push(type);
  else p.params.push({ name: 'TYPE', values: [type] });
}

const MEDIA = new Set(['PHOTO', 'LOGO', 'SOUND', 'KEY']);
const MEDIA_TOP: Record<string, string> = { PHOTO: 'image', LOGO: 'image', SOUND: 'audio', KEY: 'application' };
const NOT_IN_3 = ['PID', 'ALTID', 'MEDIATYPE', 'CALSCALE', 'SORT-AS', 'INDEX', 'LEVEL'];

function to4(p: Parsed): Parsed {
  removeParams(p, ['CHARSET']);
  if (p.name === 'VERSION') p.value = '4.0';
  if (takeType(p, 'pref') && !param(p, 'PREF')) p.params.push({ name: 'PREF', values: ['1'] });
  if (p.name === 'EMAIL') takeType(p, 'internet');
  if (p.name === 'X-ADDRESSBOOKSERVER-KIND') p.name = 'KIND';
  if (p.name === 'X-ADDRESSBOOKSERVER-MEMBER') p.name = 'MEMBER';
  if (MEDIA.has(p.name)) {
    const enc = param(p, 'ENCODING')?.values[0]?.toLowerCase();
    if (enc === 'b' || enc === 'base64') {
      const type = param(p, 'TYPE')?.values.find((v) => /^[a-z0-9.+-]+$/i.test(v));
      const mime = type ? (type.includes('/') ? type.toLowerCase() : `${MEDIA_TOP[p.name]}/${type.toLowerCase()}`) : 'application/octet-stream';
      if (type) takeType(p, type.toLowerCase());
      removeParams(p, ['ENCODING']);
      p.value = `data:${mime};base64,${p.value.replace(/\s/g, '')}`;
    }
    // 4.0's default value type for these is a URI already.
    if (param(p, 'VALUE')?.values[0]?.toLowerCase() === 'uri') removeParams(p, ['VALUE']);
  }
  return p;
}

function to3(p: Parsed): Parsed {
  removeParams(p, NOT_IN_3);
  if (p.name === 'VERSION') p.value = '3.0';
  if (param(p, 'PREF')) {
    removeParams(p, ['PREF']);
    addType(p, 'pref');
  }
  if (p.name === 'KIND') p.name = 'X-ADDRESSBOOKSERVER-KIND';
  if (p.name === 'MEMBER') p.name = 'X-ADDRESSBOOKSERVER-MEMBER';
  if (p.name === 'TEL' && param(p, 'VALUE')?.values[0]?.toLowerCase() === 'uri') {
    removeParams(p, ['VALUE']);
    p.value = p.value.replace(/^tel:/i, '');
  }
  if (MEDIA.has(p.name)) {
    const m = /^data:([^;,]*)(;base64)?,(.*)$/is.exec(p.value);
    if (m && m[2]) {
      removeParams(p, ['VALUE']);
      p.params.push({ name: 'ENCODING', values: ['b'] });
      const sub = (m[1] ?? '').split('/')[1];
      if (sub) addType(p, sub.toUpperCase());
      p.value = m[3]!;
    } else if (!param(p, 'VALUE')) {
      // 3.0's default for these is inline binary: a link must say it is one.
      p.params.push({ name: 'VALUE', values: ['uri'] });
    }
  }
  return p;
}

/** The version a stored card declares ('3.0', '4.0', ...), undefined when it has none. */
export function vcardVersion(card: ContentComponent): string | undefined {
  const v = card.items.find((i): i is ContentLine => i.kind === 'line' && i.name === 'VERSION');
  return v ? v.text.slice(headLength(v.text) + 1).trim() : undefined;
}

/**
 * The card as vCard `to`. Lines that need no change keep their stored form. Undefined when the
 * text is not one VCARD with a VERSION of 3.0 or 4.0.
 */
export function convertCard(card: ContentComponent, to: '3.0' | '4.0'): ContentComponent | undefined {
  const from = vcardVersion(card);
  if (card.name !== 'VCARD' || (from !== '3.0' && from !== '4.0')) return undefined;
  if (from === to) return card;
  const items: ContentComponent['items'] = [];
  for (const item of card.items) {
    if (item.kind !== 'line') {
      items.push(item);
      continue;
    }
    const text = writeLine((to === '4.0' ? to4 : to3)(parseLine(item.text)));
    items.push(text === item.text ? item : newLine(text));
  }
  if (to === '3.0' && !items.some((i) => i.kind === 'line' && i.name === 'N')) {
    const fn = items.find((i): i is ContentLine => i.kind === 'line' && i.name === 'FN');
    const name = fn ? fn.text.slice(headLength(fn.text) + 1).replace(/(?<!\\);/g, '\\;') : '';
    const at = items.findIndex((i) => i.kind === 'line' && i.name === 'VERSION');
    items.splice(at + 1, 0, newLine(`N:${name};;;;`));
  }
  return { ...card, items };
}

/** convertCard over text. */
export function convertVCard(vcf: string, to: '3.0' | '4.0'): string | undefined {
  const card = parseContent(vcf);
  const out = card && convertCard(card, to);
  return out ? serializeContent(out) : undefined;
}
