/**
 * iCalendar and vCard text as a tree of content lines (RFC 5545 3.1, RFC 6350 3.2), without
 * interpreting values. Selecting parts of a stored object (calendar-data comp/prop, address-data
 * prop) works on this tree so that what is returned keeps the stored lines byte for byte: no
 * re-serialisation through a parser that might reorder parameters or reformat values.
 */

export interface ContentLine {
  kind: 'line';
  /** The line as stored, folding included, without its final line break. */
  raw: string;
  /** The unfolded line. */
  text: string;
  /** Upper-case property name without its vCard group ("item1.EMAIL" gives "EMAIL"). */
  name: string;
}

export interface ContentComponent {
  kind: 'component';
  /** Upper-case component name ("VEVENT", "VCARD"). */
  name: string;
  begin: ContentLine;
  end: ContentLine | undefined;
  items: (ContentLine | ContentComponent)[];
}

function line(raw: string): ContentLine {
  const text = raw.replace(/\r?\n[ \t]/g, '');
  const head = text.slice(0, headLength(text));
  const bare = head.split(';', 1)[0]!;
  const dot = bare.lastIndexOf('.');
  return { kind: 'line', raw, text, name: (dot >= 0 ? bare.slice(dot + 1) : bare).toUpperCase() };
}

/** Where the value starts: the first ':' outside a double-quoted parameter value. */
export function headLength(text: string): number {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (c === ':' && !quoted) return i;
  }
  return text.length;
}

/**
 * The component tree of `text`, or undefined when it is not one well-nested component (a BEGIN
 * without its END, or lines outside the root). Blank lines are dropped.
 */
export function parseContent(text: string): ContentComponent | undefined {
  const physical = text.split(/\r\n|\n|\r/);
  const logical: string[] = [];
  for (const p of physical) {
    if ((p.startsWith(' ') || p.startsWith('\t')) && logical.length > 0) logical[logical.length - 1] += '\r\n' + p;
    else if (p !== '') logical.push(p);
  }
  const stack: ContentComponent[] = [];
  let root: ContentComponent | undefined;
  for (const raw of logical) {
    const l = line(raw);
    if (l.name === 'BEGIN') {
      const c: ContentComponent = { kind: 'component', name: value(l).trim().toUpperCase(), begin: l, end: undefined, items: [] };
      if (stack.length > 0) stack[stack.length - 1]!.items.push(c);
      else if (root) return undefined;
      else root = c;
      stack.push(c);
    } else if (l.name === 'END') {
      const c = stack.pop();
      if (!c || c.name !== value(l).trim().toUpperCase()) return undefined;
      c.end = l;
    } else {
      const top = stack[stack.length - 1];
      if (!top) return undefined;
      top.items.push(l);
    }
  }
  return root && stack.length === 0 ? root : undefined;
}

/** The (unfolded) value of a line. */
export function value(l: ContentLine): string {
  const i = headLength(l.text);
  return i < l.text.length ? l.text.slice(i + 1) : '';
}

/** Builds a line from unfolded text, folded as RFC 5545 3.1 asks. */
export function newLine(text: string): ContentLine {
  const l = line(text);
  return { ...l, raw: fold(text), text };
}

/**
 * Folds a line at 75 octets, never inside a UTF-8 sequence (or a surrogate pair); continuation
 * lines start with a space, which counts toward their 75.
 */
export function fold(text: string): string {
  if (Buffer.byteLength(text, 'utf8') <= 75) return text;
  const parts: string[] = [];
  let current = '';
  let bytes = 0;
  for (const ch of text) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (bytes + n > 75) {
      parts.push(current);
      current = ' ';
      bytes = 1;
    }
    current += ch;
    bytes += n;
  }
  parts.push(current);
  return parts.join('\r\n');
}

/** The tree back as text, CRLF line breaks, ending with one. */
export function serializeContent(c: ContentComponent): string {
  const out: string[] = [];
  const walk = (x: ContentComponent) => {
    out.push(x.begin.raw);
    for (const item of x.items) {
      if (item.kind === 'line') out.push(item.raw);
      else walk(item);
    }
    out.push(x.end?.raw ?? `END:${x.name}`);
  };
  walk(c);
  return out.join('\r\n') + '\r\n';
}

export function subcomponents(c: ContentComponent): ContentComponent[] {
  return c.items.filter((i): i is ContentComponent => i.kind === 'component');
}
