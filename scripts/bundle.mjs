// `npm run bundle`: one self-contained file per entry point (esbuild), runnable with `node` and no
// node_modules, for the sealed daemon (nymote serve --sealed). Prints each bundle's size.
import { readFileSync, statSync } from 'node:fs';
import { build } from 'esbuild';

const version = JSON.parse(readFileSync('packages/nymote/package.json', 'utf8')).version;
// `node scripts/bundle.mjs [OUTDIR]` (default dist/bundle).
const outDir = process.argv[2] ?? 'dist/bundle';
const entries = [{ in: 'packages/nymote/dist/src/main.js', out: `${outDir}/nymote.mjs` }];
for (const e of entries) {
  await build({
    entryPoints: [e.in],
    outfile: e.out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    legalComments: 'linked',
    define: { NYMOTE_BUNDLED_VERSION: JSON.stringify(version) },
    // Some dependencies are CommonJS and call require(): give the ES module bundle one.
    banner: { js: "import { createRequire as __nymoteRequire } from 'node:module'; const require = __nymoteRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  console.log(`${e.out}: ${(statSync(e.out).size / 1048576).toFixed(2)} MiB`);
}
