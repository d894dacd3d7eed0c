// The file-system floor of benchmark 1 on this machine: only the file operations a crash-safe, git-format
// commit of one key needs, with no hashing, no zlib, no trees. Per commit: five loose objects (blob, three
// trees, commit), each a temp file created with O_EXCL, written, closed and renamed to its name in a
// fan-out directory, and the branch moved by git's protocol (create refs/heads/main.lock with O_EXCL,
// write, close, rename over the ref). No store can do less and stay safe and readable by git; the time
// this takes bounds how much faster than isomorphic-git benchmark 1 can be on this disk.
//   node bench/dist/src/tools/write-floor.js [commits] [directory]   (default 10000, a temp dir, deleted)
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const commits = Number(process.argv[2] ?? 10_000);
const given = process.argv[3];
const dir = given ?? mkdtempSync(join(tmpdir(), 'nymote-floor-'));
mkdirSync(join(dir, 'refs', 'heads'), { recursive: true });
for (let i = 0; i < 256; i++) mkdirSync(join(dir, 'objects', i.toString(16).padStart(2, '0')), { recursive: true });

/** Bytes of the size of the benchmark's objects (most are a few hundred bytes; two trees are ~3 KB). */
const content = randomBytes(3000);
const sizes = [30, 110, 3000, 3000, 170];
const ref = join(dir, 'refs', 'heads', 'main');

function create(path: string, bytes: number): void {
  const fd = openSync(path, 'wx', 0o444);
  writeSync(fd, content, 0, bytes);
  closeSync(fd);
}

const t0 = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
for (let c = 0, tmp = 0; c < commits; c++) {
  for (const size of sizes) {
    const id = randomBytes(20).toString('hex');
    const fanOut = join(dir, 'objects', id.slice(0, 2));
    const temp = join(fanOut, `tmp_obj_${tmp++}`);
    create(temp, size);
    renameSync(temp, join(fanOut, id.slice(2)));
  }
  create(`${ref}.lock`, 41);
  try {
    readFileSync(ref); // the value under the lock, as a compare-and-swap must read it
  } catch {
    // the first commit: no ref yet
  }
  renameSync(`${ref}.lock`, ref);
}
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
const cpu = process.cpuUsage(cpu0);
const per = (us: number) => `${(us / commits).toFixed(0)} µs`;
process.stdout.write(
  `${commits} commits: ${(ms / 1000).toFixed(2)} s wall, ${per(ms * 1000)} per commit (CPU: user ${per(cpu.user)}, system ${per(cpu.system)}) in ${dir}\n`,
);
if (given === undefined) rmSync(dir, { recursive: true, force: true });
