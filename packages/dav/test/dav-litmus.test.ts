// litmus, the WebDAV conformance suite (Debian package `litmus`), against our server.
//
// litmus writes arbitrary bytes, nests collections and sets dead properties on resources, which
// calendars and address books refuse; it runs against the plain file area, /dav/files/NAME/, where
// every test of the four groups passes.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { PASSWORD, fsck, startServer, type TestServer } from './dav-helpers.js';

const LITMUS = '/usr/bin/litmus';
const GROUPS = ['basic', 'copymove', 'props', 'http'] as const;

/** Tests litmus runs and sees fail, by group: none. Any failure is a regression. */
const KNOWN_FAILURES: Record<(typeof GROUPS)[number], string[]> = { basic: [], copymove: [], props: [], http: [] };

/**
 * The commits litmus causes, each once or more; the ten numbered files of a collection test are
 * `foo.N`. Failed or refused requests leave no commit, so a stray message here means a bug.
 */
const EXPECTED_COMMITS = [
  'Create folder litmus', 'Delete folder litmus',
  // basic
  'Add file litmus/res', 'Add file litmus/res-€', 'Delete file litmus/res-€', 'Create folder litmus/frag', 'Delete folder litmus/frag',
  'Create folder litmus/coll', 'Delete folder litmus/coll',
  // copymove
  'Add file litmus/copysrc', 'Create folder litmus/copycoll', 'Copy file litmus/copysrc to litmus/copydest',
  'Copy file litmus/copysrc to litmus/copycoll', 'Delete file litmus/copysrc', 'Delete file litmus/copydest', 'Delete file litmus/copycoll',
  'Create folder litmus/ccsrc', 'Add file litmus/ccsrc/foo.N', 'Create folder litmus/ccsrc/subcoll', 'Copy folder litmus/ccsrc to litmus/ccdest',
  'Copy folder litmus/ccsrc to litmus/ccdest2', 'Delete folder litmus/ccsrc', 'Delete file litmus/ccdest/foo.N', 'Delete folder litmus/ccdest/subcoll',
  'Delete folder litmus/ccdest2', 'Delete folder litmus/ccdest', 'Add file litmus/ccsrc/foo',
  'Copy folder litmus/ccsrc to litmus/ccdest (without its contents)',
  'Add file litmus/move', 'Add file litmus/move2', 'Create folder litmus/movecoll', 'Move file litmus/move to litmus/movedest',
  'Move file litmus/move2 to litmus/movedest', 'Move file litmus/movedest to litmus/movecoll', 'Delete file litmus/movecoll',
  'Create folder litmus/mvsrc', 'Add file litmus/mvsrc/foo.N', 'Add file litmus/mvnoncoll', 'Create folder litmus/mvsrc/subcoll',
  'Copy folder litmus/mvsrc to litmus/mvdest2', 'Move folder litmus/mvsrc to litmus/mvdest', 'Move folder litmus/mvdest2 to litmus/mvdest',
  'Copy folder litmus/mvdest to litmus/mvdest2', 'Delete file litmus/mvdest/foo.N', 'Delete folder litmus/mvdest/subcoll',
  'Move folder litmus/mvdest2 to litmus/mvnoncoll', 'Delete folder litmus/mvdest', 'Delete folder litmus/mvnoncoll',
  // props
  'Add file litmus/prop', 'Change the properties of file litmus/prop', 'Move file litmus/prop to litmus/prop2',
  'Change the properties of file litmus/prop2', 'Delete file litmus/prop',
];

interface GroupResult { summary: string; run: number; passed: number; failed: number; failures: string[] }

function parse(output: string): Map<string, GroupResult> {
  const groups = new Map<string, GroupResult>();
  let current: GroupResult | undefined;
  for (const line of output.split('\n')) {
    const start = /^-> running `(\w+)':/.exec(line);
    if (start) {
      current = { summary: '', run: 0, passed: 0, failed: 0, failures: [] };
      groups.set(start[1]!, current);
      continue;
    }
    // Without a terminal litmus prints the test name twice: "3. put_get....  3. put_get.... FAIL (...)".
    const result = /\d+\. (\w+)\.* (FAIL|pass|SKIPPED|WARNING)/.exec(line.replace(/^.*?\d+\. \w+\.+ +(?=\d+\. )/, ''));
    if (current && result?.[2] === 'FAIL') current.failures.push(result[1]!);
    const summary = /^<- summary for `(\w+)': of (\d+) tests run: (\d+) passed, (\d+) failed\./.exec(line);
    if (summary) {
      const g = groups.get(summary[1]!)!;
      Object.assign(g, { summary: line, run: Number(summary[2]), passed: Number(summary[3]), failed: Number(summary[4]) });
    }
  }
  return groups;
}

let s: TestServer;
let work: string;
before(async () => {
  s = await startServer(['alice']);
  work = mkdtempSync(join(tmpdir(), 'nymote-litmus-'));
});
after(async () => {
  await s.close();
  rmSync(work, { recursive: true, force: true });
});

test('litmus basic, copymove, props, http', { skip: existsSync(LITMUS) || process.env['CI'] ? false : `${LITMUS} is not installed (apt-get install litmus)` }, async (t) => {
  // litmus makes its own collection `litmus/` under the URL it is given: here a calendar in alice's home.
  const url = `${s.url}/dav/files/alice/`;
  // litmus also leaves a file /tmp/litmus-XXXXXX behind for each GET it could not compare (TMPDIR is not read).
  const leftovers = () => new Set(readdirSync('/tmp').filter((f) => /^litmus-[A-Za-z0-9]{6}$/.test(f)));
  const before = leftovers();
  const output = await new Promise<string>((resolve, reject) => {
    // Asynchronous on purpose: the server answers on this process's event loop.
    // litmus writes debug.log and child.log into its working directory.
    execFile(LITMUS, ['-k', url, 'alice', PASSWORD], { cwd: work, env: { ...process.env, TESTS: GROUPS.join(' ') }, timeout: 120_000, maxBuffer: 16 << 20 },
      (err, stdout) => {
        // litmus exits non-zero when a test fails; the known failures are checked below.
        if (err && typeof err.code !== 'number') reject(err);
        else resolve(stdout);
      });
  });
  for (const f of leftovers()) if (!before.has(f)) rmSync(join('/tmp', f), { force: true });
  const groups = parse(output);
  for (const name of GROUPS) {
    const g = groups.get(name);
    assert.ok(g?.summary, `no summary for ${name} in:\n${output}`);
    t.diagnostic(g.summary);
    assert.deepEqual(g.failures, KNOWN_FAILURES[name], `${name}: ${g.summary}\n${output}`);
    assert.equal(g.failed, KNOWN_FAILURES[name].length, g.summary);
    assert.equal(g.passed, g.run - g.failed, g.summary);
  }
  // We do no locking (DAV class 2); any other warning is a regression (missing parents were 404, not 409).
  const warnings = [...output.matchAll(/WARNING: ([^\n]*)/g)].map((m) => m[1]!.trim());
  assert.deepEqual(warnings, ['server does not claim Class 2 compliance'], output);
  // Every write litmus made is one commit saying what it did, and git is happy.
  const commits = s.log('users/alice');
  const first = commits.indexOf('Create the default calendar and address book');
  assert.ok(first > 0, commits.join('\n'));
  assert.deepEqual(new Set(commits.slice(0, first).map((c) => c.replace(/foo\.\d$/, 'foo.N'))), new Set(EXPECTED_COMMITS));
  // What is left is the collection the last group made, empty but kept by its marker.
  const left = execFileSync('git', ['--git-dir', s.repo, 'ls-tree', '-r', '--name-only', 'users/alice', 'files'], { encoding: 'utf8' });
  assert.equal(left, 'files/litmus/.collection.json\n');
  fsck(s.repo);
});
