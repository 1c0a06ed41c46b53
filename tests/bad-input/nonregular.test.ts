/**
 * Issue 15, item 4: no path the CLI reads hangs or eats memory on a non-regular file, and
 * console input from an endless pipe is bounded. (The campaign test puts /dev/zero through every
 * verb; these are the cases it does not reach.)
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../cli/vamos.js';
import { bufferIo } from '../../cli/io.js';
import { projectFile } from '../../vmm/paths.js';
import { assemble } from '../../toolchain/as/assemble.js';
import { writeImage } from '../../toolchain/image/write.js';
import { readHostFile } from '../../vmm/host-file.js';

const dir = mkdtempSync(join(tmpdir(), 'vamos-nonregular-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const VAMOS = projectFile('dist', 'cli', 'vamos.js');

t.test('#include "/dev/zero" is an error at the #include, at once', async (t) => {
  const src = join(dir, 'inc.c');
  writeFileSync(src, '#include "/dev/zero"\nint main(void) { return 0; }\n');
  const io = bufferIo();
  const start = performance.now();
  const code = await main(['cc', src, '-o', join(dir, 'inc.img')], io);
  t.equal(code, 1);
  t.match(io.err, /inc\.c:1:10: error: cannot read include file '\/dev\/zero': not a regular file \(a character device\)/);
  t.ok(performance.now() - start < 5000);
});

t.test('a pipe is read up to the cap', async (t) => {
  const r = spawnSync('bash', ['-c', `head -c 3000 /dev/zero | "${process.execPath}" -e "import('${projectFile('dist', 'vmm', 'host-file.js').replace(/'/g, "\\'")}').then(m => { try { m.readHostFile(0, { max: 1000 }); } catch (e) { console.log(e.message); } })"`], { encoding: 'utf8', timeout: 20_000 });
  t.match(r.stdout, /stdin: cannot read: more than 1000 bytes/);
  t.throws(() => readHostFile('/dev/zero'), /not a regular file \(a character device\)/);
});

t.test('yes | vamos boot: console input is cut at 1 MiB, memory stays bounded, the guest runs', async (t) => {
  const img = join(dir, 'seven.img');
  writeFileSync(img, writeImage(assemble('_start:\n    mov eax, 7\n    outd 0xf4, eax\n    hlt\n', { file: 'seven.s' }).image));
  // The child reports its own peak memory on exit.
  const r = spawnSync('bash', ['-c', `yes | "${process.execPath}" -e "process.on('exit', () => process.stderr.write('maxrss ' + process.resourceUsage().maxRSS + '\\\\n')); process.argv.splice(1, 0, '${VAMOS}'); await import('${VAMOS}')" --input-type=module boot "${img}"`], { encoding: 'utf8', timeout: 30_000 });
  t.equal(r.status, 7, r.stderr);
  t.match(r.stderr, /^vamos: stdin: more than 1 MiB; only the first 1 MiB are queued as console input\n/);
  const kb = Number(/maxrss (\d+)/.exec(r.stderr)?.[1]);
  t.ok(kb > 0 && kb < 400 * 1024, `peak memory ${Math.round(kb / 1024)} MiB`);
});
