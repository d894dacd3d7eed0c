/** One calendar object resource or vCard cut out of an import file, in the order the file has them. */
export interface SplitEntry {
  /** 1-based: the n-th object of the file (an event and its overrides are one). */
  entry: number;
  /** The line of the file where it starts. */
  line: number;
  uid: string | undefined;
  /** The object as it will be stored (CRLF line ends); empty when `error` is set. */
  text: string;
  /** What is wrong with the file's structure here (an END missing, a line outside any object...). */
  error?: string;
}

/** Progress of an import: entries found in the file, checked, and put in the tree. */
export interface ImportProgress {
  phase: 'parse' | 'validate' | 'write';
  done: number;
  /** Known once the file is read. */
  total?: number;
}

export type ProgressListener = (p: ImportProgress) => void;

/** How often the splitters and the importer report progress (entries). */
export const PROGRESS_STEP = 500;
