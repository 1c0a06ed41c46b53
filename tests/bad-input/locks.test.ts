/**
 * Issue 15, item 1: a disk or volume opened read-write is held exclusively. A second opener
 * (another process, or the same file given twice) gets one line naming the file and the holder,
 * exit code 1, and nothing is written; a lock left by a killed process is taken over;
 * read-only opens share.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, hostname } from 'node:os';
import { join } from 'node:path';
import { main } from '../../cli/vamos.js';
import { bufferIo } from '../../cli/io.js';
import { FileBackend } from '../../devices/virtio/blk/file-backend.js';
import { assemble } from '../../toolchain/as/assemble.js';
import { writeImage } from '../../toolchain/image/write.js';

const dir = mkdtempSync(join(tmpdir(), 'vamos-locks-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = bufferIo();
  const code = await main(argv, io);
  return { code, out: io.out, err: io.err };
}

const seven = join(dir, 'seven.img');
writeFileSync(seven, writeImage(assemble('_start:\n    mov eax, 7\n    outd 0xf4, eax\n    hlt\n', { file: 'seven.s' }).image));

/** A live process that is not this one, to stand for another VMM holding a lock. */
function otherProcess(t: { teardown(fn: () => void): void }): number {
  const p = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  t.teardown(() => { p.kill(); });
  return p.pid!;
}

t.test('the same disk given twice read-write: one line, exit 1, nothing written', async (t) => {
  const disk = join(dir, 'twice.img');
  writeFileSync(disk, new Uint8Array(64 * 1024).fill(0xab));
  const r = await run('boot', '--disk', disk, '--disk', disk, seven);
  t.equal(r.code, 1);
  t.match(r.err, /^vamos boot: disk .*twice\.img: given twice; .*read-write only once.*\n$/);
  t.equal(r.err.split('\n').length, 2, 'one line');
  t.notOk(existsSync(`${disk}.lock`), 'the first open released its lock');
  t.ok(readFileSync(disk).every((b) => b === 0xab), 'nothing written');
  const ok = await run('boot', '--disk', disk, '--disk', `${disk},ro`, seven);
  t.equal(ok.code, 7, 'read-write plus read-only shares');
  const ro = await run('boot', '--disk', `${disk},ro`, '--disk', `${disk},ro`, seven);
  t.equal(ro.code, 7, 'read-only opens share');
  t.notOk(existsSync(`${disk}.lock`), 'no lock left behind');
});

t.test('a disk held by another live process is refused, naming the process', async (t) => {
  const disk = join(dir, 'held.img');
  writeFileSync(disk, new Uint8Array(64 * 1024));
  const pid = otherProcess(t);
  writeFileSync(`${disk}.lock`, `${pid}\n${hostname()}\n`);
  const r = await run('boot', '--disk', disk, seven);
  t.equal(r.code, 1);
  t.match(r.err, new RegExp(`^vamos boot: disk .*held\\.img: in use: process ${pid} holds it open read-write`));
  t.equal(r.err.split('\n').length, 2, 'one line');
  t.equal(readFileSync(`${disk}.lock`, 'utf8'), `${pid}\n${hostname()}\n`, "the holder's lock is left alone");
  t.throws(() => new FileBackend(disk), /in use: process/);
  const ro = new FileBackend(disk, true);
  t.pass('a read-only open is allowed');
  ro.close();
});

t.test('vamos serve on a volume another process holds: one line, exit 1, the volume untouched', async (t) => {
  const vol = join(dir, 'db.vol');
  writeFileSync(vol, new Uint8Array(1 << 20));
  const pid = otherProcess(t);
  writeFileSync(`${vol}.lock`, `${pid}\n${hostname()}\n`);
  const r = await run('serve', '--volume', vol, '--port', '0');
  t.equal(r.code, 1);
  t.match(r.err, new RegExp(`^vamos serve: disk .*db\\.vol: in use: process ${pid}`));
  t.equal(r.err.split('\n').length, 2, 'one line');
  t.ok(readFileSync(vol).every((b) => b === 0), 'nothing written');
});

t.test('a lock left by a process that died (kill -9) is stale and taken over', async (t) => {
  const disk = join(dir, 'stale.img');
  writeFileSync(disk, new Uint8Array(64 * 1024));
  const p = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  const dead = p.pid!;
  await new Promise((resolve) => p.on('exit', resolve));
  writeFileSync(`${disk}.lock`, `${dead}\n${hostname()}\n`);
  const fb = new FileBackend(disk);
  t.equal(readFileSync(`${disk}.lock`, 'utf8'), `${process.pid}\n${hostname()}\n`, 'the lock is now ours');
  t.throws(() => new FileBackend(disk), /given twice/);
  fb.close();
  t.notOk(existsSync(`${disk}.lock`), 'closing releases the lock');
});
