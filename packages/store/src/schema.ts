import type { Schema } from './merge-trees.js';
import { bytesType } from './merge/bytes.js';
import type { ContentType } from './merge/types.js';

/**
 * A schema from key prefixes: the longest prefix that matches a key (whole segments) chooses its
 * content type; keys under no prefix are raw bytes unless `fallback` says otherwise.
 * Example: schemaByPrefix({ 'counters': counterType, 'contacts': jsonType }).
 */
export function schemaByPrefix(types: Record<string, ContentType<unknown>>, fallback: ContentType<unknown> = bytesType as ContentType<unknown>): Schema {
  const prefixes = Object.keys(types).sort((a, b) => b.length - a.length);
  return (key) => {
    for (const p of prefixes) {
      if (p === '' || key === p || key.startsWith(p.endsWith('/') ? p : p + '/')) return types[p]!;
    }
    return fallback;
  };
}
