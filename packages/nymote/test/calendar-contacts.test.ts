// `nymote calendar import/export` and `nymote contacts import/export`: real processes over a real data
// directory, with `nymote dav serve` running on it and a real CalDAV client (tsdav) reading the result.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DAVClient } from 'tsdav';
import { sampleCalendar, sampleUid, sampleVCards } from '@nymote/dav';
import { cliEnv, git, nymote, startServing } from './helpers.js';

const PASSWORD = 'correct horse battery';

async function withData(body: (dir: string, env: NodeJS.ProcessEnv) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'nymote-import-cli-'));
  const env = cliEnv(dir);
  try {
    const added = await nymote(['user', '--data', dir, 'add', 'alice'], { env, input: `${PASSWORD}\n` });
    assert.equal(added.status, 0, added.err);
    await body(dir, env);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const event = (uid: string, summary: string) => [
  'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Test//EN', 'BEGIN:VEVENT', `UID:${uid}`, 'DTSTAMP:20261126T100000Z',
  'DTSTART:20261201T100000Z', 'DTEND:20261201T110000Z', `SUMMARY:${summary}`, 'END:VEVENT', 'END:VCALENDAR', '',
].join('\r\n');

test('a 10 MB .ics imported while dav serve runs: one commit, progress, and a CalDAV client sees every event', async (t) => {
  await withData(async (dir, env) => {
    const sample = sampleCalendar(10_000, { name: 'Work' });
    const file = join(dir, 'work.ics');
    writeFileSync(file, sample.text);
    assert.ok(sample.text.length > 10_000_000, `${sample.text.length} bytes`);

    const server = await startServing(['dav', '--data', dir, 'serve', '--port', '0'], env, /at (http:\/\/127\.0\.0\.1:\d+)\/dav\//);
    try {
      const client = new DAVClient({ serverUrl: `${server.banner[1]}/`, credentials: { username: 'alice', password: PASSWORD }, authMethod: 'Basic', defaultAccountType: 'caldav' });
      await client.login();
      assert.deepEqual((await client.fetchCalendars()).map((c) => c.displayName), ['Calendar']);

      const started = performance.now();
      const r = await nymote(['calendar', '--data', dir, 'import', 'alice', 'work', file, '--progress'], { env });
      const seconds = (performance.now() - started) / 1000;
      t.diagnostic(`nymote calendar import of ${(sample.text.length / 1e6).toFixed(1)} MB (${sample.objects} events, ${sample.overrides} overrides, ${sample.zoned} with TZID): ${seconds.toFixed(2)} s, whole process`);
      assert.equal(r.status, 0, r.err);
      assert.match(r.out, /^imported 10,000 events into calendar Work of alice \(10,000 new, 0 changed, 0 unchanged\): [0-9a-f]{12}\n$/);
      assert.match(r.err, /work\.ics: read 10,000 entries \(/);
      assert.match(r.err, /work\.ics: checked 10,000 of 10,000 \(/);
      assert.match(r.err, /work\.ics: placed 10,000 of 10,000 \(/);

      const calendars = await client.fetchCalendars();
      const work = calendars.find((c) => c.displayName === 'Work');
      assert.ok(work, 'the new calendar is found');
      const objects = await client.fetchCalendarObjects({ calendar: work });
      assert.equal(objects.length, 10_000);
      const series = objects.find((o) => String(o.data).includes(`UID:${sampleUid(0)}`))!;
      assert.equal(String(series.data).match(/BEGIN:VEVENT/g)!.length, 2, 'the series and its moved occurrence are one object');
      const zoned = objects.find((o) => String(o.data).includes(`UID:${sampleUid(2)}\r\n`))!;
      assert.match(String(zoned.data), /BEGIN:VTIMEZONE\r\nTZID:Europe\/Berlin/);
    } finally {
      assert.equal(await server.stop('SIGTERM'), 0);
    }
    const repo = join(dir, 'store.git');
    assert.deepEqual(git(repo, ['log', '--format=%s', 'users/alice']).trim().split('\n'), [
      'Import 10,000 events into calendar Work',
      'Create the default calendar and address book',
      'Start the data of user alice',
    ]);
    assert.equal(git(repo, ['ls-tree', '--name-only', 'users/alice', 'calendars/work/']).trim().split('\n').length, 10_001);
    git(repo, ['fsck', '--strict']);

    const again = await nymote(['calendar', '--data', dir, 'import', 'alice', 'work', file, '-q'], { env });
    assert.equal(again.status, 0, again.err);
    assert.equal(again.err, '');
    assert.match(again.out, /\(0 new, 0 changed, 10,000 unchanged\): nothing to commit\n$/);
  });
});

test('export then import: the same calendar; contacts through stdin and stdout', async () => {
  await withData(async (dir, env) => {
    const sample = sampleCalendar(200, { name: 'Team' });
    writeFileSync(join(dir, 'team.ics'), sample.text);
    assert.equal((await nymote(['calendar', '--data', dir, 'import', 'alice', 'team', join(dir, 'team.ics')], { env })).status, 0);
    const out = join(dir, 'out.ics');
    const exported = await nymote(['calendar', '--data', dir, 'export', 'alice', 'team', out], { env });
    assert.equal(exported.status, 0, exported.err);
    assert.equal(exported.out, `exported 200 events of calendar team of alice to ${out}\n`);
    const text = readFileSync(out, 'utf8');
    assert.equal(text.match(/BEGIN:VTIMEZONE/g)!.length, 2);
    const copy = await nymote(['calendar', '--data', dir, 'import', 'alice', 'copy', out], { env });
    assert.equal(copy.status, 0, copy.err);
    assert.match(copy.out, /^imported 200 events into calendar Team of alice/);
    const stdout = await nymote(['calendar', '--data', dir, 'export', 'alice', 'copy'], { env });
    assert.equal(stdout.out, text, 'the copy exports byte for byte as the original');

    const cards = sampleVCards(100);
    const imported = await nymote(['contacts', '--data', dir, 'import', 'alice', 'default', '-'], { env, input: cards });
    assert.equal(imported.status, 0, imported.err);
    assert.match(imported.out, /^imported 100 contacts into address book Contacts of alice \(100 new/);
    const vcf = await nymote(['contacts', '--data', dir, 'export', 'alice', 'default', '-'], { env });
    assert.equal(vcf.status, 0, vcf.err);
    const sorted = (s: string) => s.split(/(?<=END:VCARD\r\n)/).sort();
    assert.deepEqual(sorted(vcf.out), sorted(cards));
    assert.equal((await nymote(['contacts', '--data', dir, 'export', 'alice', 'nobook', join(dir, 'x.vcf')], { env })).status, 1);
    assert.ok(!existsSync(join(dir, 'x.vcf')));
  });
});

test('errors name the file and the entry; --skip-invalid imports the rest; exit statuses 1 and 2', async () => {
  await withData(async (dir, env) => {
    const file = join(dir, 'mixed.ics');
    writeFileSync(file, event('good-1', 'Good') + event('bad-2', 'Bad').replace('DTSTART:', 'DTSTART;X="open:') + event('good-3', 'Also good'));
    const repo = join(dir, 'store.git');
    const head = git(repo, ['rev-parse', 'users/alice']);

    const refused = await nymote(['calendar', '--data', dir, 'import', 'alice', 'work', file], { env });
    assert.equal(refused.status, 1);
    assert.match(refused.err, new RegExp(`^nymote: ${file.replace(/[.]/g, '\\.')}: entry 2 \\(line 15, UID bad-2\\): not valid iCalendar`, 'm'));
    assert.match(refused.err, /nymote: nothing imported: 1 entry of .*mixed\.ics did not pass the checks \(--skip-invalid imports the rest\)/);
    assert.equal(git(repo, ['rev-parse', 'users/alice']), head, 'nothing written');

    const skipped = await nymote(['calendar', '--data', dir, 'import', 'alice', 'work', file, '--skip-invalid'], { env });
    assert.equal(skipped.status, 0, skipped.err);
    assert.match(skipped.err, /mixed\.ics: skipped entry 2 \(line 15, UID bad-2\): not valid iCalendar/);
    assert.match(skipped.out, /^imported 2 events into calendar work of alice \(2 new, 0 changed, 0 unchanged, 1 skipped\)/);

    const vcf = join(dir, 'bad.vcf');
    writeFileSync(vcf, 'BEGIN:VCARD\nVERSION:4.0\nUID:x\nEND:VCARD\n');
    const noFn = await nymote(['contacts', '--data', dir, 'import', 'alice', 'default', vcf], { env });
    assert.equal(noFn.status, 1);
    assert.match(noFn.err, /bad\.vcf: entry 1 \(line 1, UID x\): not a valid vCard: it has no FN/);

    const cases: [string[], number, RegExp][] = [
      [['calendar', '--data', dir, 'import', 'alice', 'work', join(dir, 'missing.ics')], 1, /cannot read .*missing\.ics: no such file/],
      [['calendar', '--data', dir, 'import', 'nobody', 'work', file], 1, /no user nobody/],
      [['calendar', '--data', dir, 'import', 'alice', '.hidden', file], 2, /cannot be the name of a calendar/],
      [['calendar', '--data', dir, 'import', 'alice', 'work'], 2, /missing FILE\.ics/],
      [['calendar', '--data', dir, 'export', 'alice', 'nothing'], 1, /alice has no calendar nothing/],
      [['contacts', '--data', dir, 'frobnicate'], 2, /unknown command "frobnicate"/],
    ];
    for (const [args, status, err] of cases) {
      const r = await nymote(args, { env });
      assert.equal(r.status, status, `${args.join(' ')}: ${r.err}`);
      assert.match(r.err, err);
    }
  });
});
