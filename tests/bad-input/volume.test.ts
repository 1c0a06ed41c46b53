/**
 * Issue 15, item 3: `vamos serve --volume` checks the size before creating anything, leaves no
 * empty file behind when the host cannot make the volume, and refuses an empty or foreign
 * volume on the host side with one line saying what the file is and what to do.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../cli/vamos.js';
import { bufferIo } from '../../cli/io.js';
import { projectFile } from '../../vmm/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'vamos-volume-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

async function serve(...argv: string[]): Promise<{ code: number; err: string }> {
  const io = bufferIo();
  const code = await main(['serve', '--port', '0', ...argv], io);
  return { code, err: io.err };
}

t.test('--volume-size beyond what a volume can hold is a usage error, and nothing is created', async (t) => {
  const vol = join(dir, 'huge.vol');
  const r = await serve('--volume', vol, '--volume-size', '99999G');
  t.equal(r.code, 2);
  t.match(r.err, /^vamos serve: --volume-size: \d+ bytes is not a multiple of 4 KiB from 1M to 2047G\n/);
  t.notOk(existsSync(vol), 'no file created');
});

t.test('a volume the host cannot make (EFBIG) leaves no file and says so in one line', { skip: process.platform === 'win32' }, async (t) => {
  const vol = join(dir, 'efbig.vol');
  const r = spawnSync('bash', ['-c', `ulimit -f 1024; exec "${process.execPath}" "${projectFile('dist', 'cli', 'vamos.js')}" serve --port 0 --volume "${vol}" --volume-size 64M`], { encoding: 'utf8', timeout: 30_000 });
  t.equal(r.status, 1);
  t.match(r.stderr, /^vamos serve: --volume .*efbig\.vol: cannot make a 64 MiB volume here: EFBIG .*\n$/);
  t.notOk(existsSync(vol), 'the empty file was removed');
});

t.test('an empty or foreign-sized volume is refused on the host side, untouched', async (t) => {
  const empty = join(dir, 'empty.vol');
  writeFileSync(empty, '');
  let r = await serve('--volume', empty);
  t.equal(r.code, 1);
  t.match(r.err, /^vamos serve: --volume .*empty\.vol: an empty file \(0 bytes\), not a vamos database volume .*remove it and vamos serve creates a new one\n$/);
  const odd = join(dir, 'odd.vol');
  writeFileSync(odd, new Uint8Array(1000));
  r = await serve('--volume', odd);
  t.equal(r.code, 1);
  t.match(r.err, /a file of 1000 bytes, not a vamos database volume/);
  t.equal(readFileSync(odd).length, 1000, 'untouched');
  const text = join(dir, 'notes.txt');
  writeFileSync(text, Buffer.alloc(1 << 20, 'x'));
  r = await serve('--volume', text);
  t.equal(r.code, 1);
  t.match(r.err, /not a vamos database \(no engine superblock\) and not empty; not formatting it/);
});
