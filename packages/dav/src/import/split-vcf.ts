// Splits a .vcf file (vCards one after another, 3.0 or 4.0, as address books export them) into single
// vCards, each kept line for line as the file has it. Whether each is a valid vCard is for the
// validator (the same as a PUT's) to say.
import { parseProperty, readLines, type ByteSource, type ContentLine } from './content-lines.js';
import { PROGRESS_STEP, type ProgressListener, type SplitEntry } from './entry.js';

export class VCardSplitter {
  private readonly entries: SplitEntry[] = [];
  private card: { raw: string[]; line: number; uid: string | undefined; error: string | undefined } | undefined;
  /** Components open in the card (the card itself is 1); vCards have none, but a BEGIN needs its END. */
  private depth = 0;
  private stray: SplitEntry | undefined;

  constructor(private readonly onEntry?: (count: number) => void) {}

  push(l: ContentLine): void {
    const p = parseProperty(l.text);
    const value = p.value.trim().toUpperCase();
    if (this.card && p.name === 'BEGIN' && value === 'VCARD') {
      // A vCard inside a vCard is an END:VCARD the file lacks: the first is broken, the next one may be fine.
      this.card.error ??= `END:VCARD missing before line ${l.line} (the vCard starts on line ${this.card.line})`;
      this.finishCard();
    }
    if (!this.card) {
      if (p.name === 'BEGIN' && value === 'VCARD') {
        this.stray = undefined;
        this.card = { raw: [l.raw], line: l.line, uid: undefined, error: l.bad };
        this.depth = 1;
        return;
      }
      if (l.text.trim() === '') return;
      if (!this.stray) {
        const text = l.text.length > 40 ? `${l.text.slice(0, 40)}...` : l.text;
        this.stray = { entry: this.entries.length + 1, line: l.line, uid: undefined, text: '', error: `"${text}" is outside any BEGIN:VCARD ... END:VCARD` };
        this.entries.push(this.stray);
      }
      return;
    }
    const c = this.card;
    c.raw.push(l.raw);
    if (l.bad && !c.error) c.error = l.bad;
    if (p.name === 'BEGIN') {
      this.depth++;
    } else if (p.name === 'END') {
      if (value !== 'VCARD' && this.depth === 1) c.error ??= `END:${p.value.trim()} on line ${l.line} where END:VCARD was expected`;
      if (--this.depth === 0) this.finishCard();
    } else if (p.name === 'UID' && this.depth === 1) {
      c.uid = p.value;
    }
  }

  private finishCard(): void {
    const c = this.card!;
    this.card = undefined;
    const base = { entry: this.entries.length + 1, line: c.line, uid: c.uid };
    this.entries.push(c.error !== undefined ? { ...base, text: '', error: c.error } : { ...base, text: c.raw.join('\r\n') + '\r\n' });
    this.onEntry?.(this.entries.length);
  }

  finish(): SplitEntry[] {
    if (this.card) {
      this.card.error ??= `END:VCARD missing (the file ends inside the vCard that starts on line ${this.card.line})`;
      this.finishCard();
    }
    return this.entries;
  }
}

/** Splits a .vcf file or stream into single vCards. */
export async function splitVCards(source: ByteSource, onProgress?: ProgressListener): Promise<SplitEntry[]> {
  const splitter = new VCardSplitter(onProgress && ((n) => { if (n % PROGRESS_STEP === 0) onProgress({ phase: 'parse', done: n }); }));
  await readLines(source, (l) => splitter.push(l));
  const entries = splitter.finish();
  onProgress?.({ phase: 'parse', done: entries.length, total: entries.length });
  return entries;
}
