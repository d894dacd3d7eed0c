// litmus, the WebDAV conformance suite (Debian package `litmus`), against our server.
//
// Our collections are calendars and address books only: a PUT must be iCalendar or a vCard, and
// there are no collections inside collections. litmus writes arbitrary bytes and nests collections,
// so the tests that need either fail or are skipped by litmus itself. Those are listed below, test
// by test, so that any change (a new failure, or one that starts passing) shows up here.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { PASSWORD, fsck, startServer, type TestServer } from './dav-helpers.js';

const LITMUS = '/usr/bin/litmus';
const GROUPS = ['basic', 'copymove', 'props', 'http'] as const;

/** Tests litmus runs and sees fail, by group, each for a reason of our design, not a bug. */
const KNOWN_FAILURES: Record<(typeof GROUPS)[number], string[]> = {
  // PUT of plain text into a calendar is 403 valid-calendar-data; MKCOL inside a calendar is 409.
  basic: ['put_get', 'put_get_utf8_segment', 'delete_fragment', 'mkcol'],
  // The same: the copy and move tests start with a plain-text PUT or a nested MKCOL.
  copymove: ['copy_init', 'copy_coll', 'copy_shallow', 'move', 'move_coll'],
  // propinit PUTs plain text; propmanyns then PROPPATCHes the resource that was never made. Dead
  // properties are kept on collections only (in .collection.json), not on resources.
  props: ['propinit', 'propinit', 'propmanyns'],
  http: [],
};

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
  const url = `${s.url}/dav/calendars/alice/`;
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
  // Every failed write was refused before the store: the only commits litmus caused are its
  // collection being made and removed (each group starts with DELETE and MKCOL), and git is happy.
  const commits = s.log('users/alice');
  const first = commits.indexOf('Create the default calendar and address book');
  assert.ok(first > 0, commits.join('\n'));
  assert.deepEqual(new Set(commits.slice(0, first)), new Set(['Create calendar litmus', 'Delete calendar litmus']));
  fsck(s.repo);
});
