import { bytesType, jsonType, type ContentType, type Schema } from '@nymote/store';

/**
 * How the command line's stores type their values, which decides how merge and revert combine
 * concurrent changes: a key whose name ends in ".json" holds JSON and merges field by field (both
 * sides may change different fields); every other key is raw bytes, which merge only when one side
 * alone changed them. The server will bring richer schemas (contacts, calendars); until then the
 * file-name convention keeps the CLI useful and predictable.
 */
export const cliSchema: Schema = (key) =>
  (key.endsWith('.json') ? jsonType : bytesType) as ContentType<unknown>;

/** For help texts: the same rule in words. */
export const SCHEMA_HELP = `Values are raw bytes, except keys ending in ".json": those hold JSON and merge
field by field, so changes to different fields on two branches combine. Other
keys merge only when one side alone changed them.`;
