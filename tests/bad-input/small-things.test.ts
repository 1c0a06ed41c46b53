/**
 * Issue 15, item 14: small things a new user meets, each one line that says the right thing.
 */
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../cli/vamos.js';
import { bufferIo } from '../../cli/io.js';
import { TraceRecorder } from '../../vmm/trace/recorder.js';
import { RECORD_SIZE } from '../../vmm/trace/format.js';

const dir = mkdtempSync(join(tmpdir(), 'vamos-small-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = bufferIo();
  const code = await main(argv, io);
  return { code, out: io.out, err: io.err };
}

t.test('vamos as on an empty file names the source, not the image it did not write', async (t) => {
  const empty = join(dir, 'empty.s');
  writeFileSync(empty, '');
  const r = await run('as', empty);
  t.equal(r.code, 1);
  t.match(r.err, /^vamos as: .*empty\.s: nothing to assemble/);
  t.notMatch(r.err, /empty\.img/);
  const missing = await run('as', join(dir, 'missing.s'));
  t.match(missing.err, /^vamos as: cannot read '.*missing\.s': ENOENT\n$/, "ENOENT, not Node's raw text");
});

t.test("cc -D 'X(' complains about the parameter list, not a '1' the user never typed", async (t) => {
  const c = join(dir, 'ok.c');
  writeFileSync(c, 'int main(void) { return 0; }\n');
  const r = await run('cc', '-D', 'X(', c, '-o', join(dir, 'ok.img'));
  t.equal(r.code, 1);
  t.match(r.err, /^<command line>: error: -D X\(: missing '\)' in macro parameter list\n$/);
  t.notMatch(r.err, /'1'/);
});

t.test('cc --text-base 0xffffffff is one usage error', async (t) => {
  const c = join(dir, 'ok.c');
  writeFileSync(c, 'int main(void) { return 0; }\n');
  const r = await run('cc', '--text-base', '0xffffffff', c, '-o', join(dir, 'tb.img'));
  t.equal(r.code, 2);
  t.match(r.err, /^vamos cc: --text-base: 0xffffffff is not a multiple of 4\nusage: /);
  t.notMatch(r.err, /crt0\.s:\d/, 'no errors in crt0');
  const high = await run('cc', '--text-base', '0xfff00000', c, '-o', join(dir, 'tb.img'));
  t.equal(high.code, 2);
  t.match(high.err, /^vamos cc: --text-base: 0xfff00000 is above the most RAM a VM has/);
});

t.test('objdump prefixes a bad image with vamos objdump:', async (t) => {
  const junk = join(dir, 'junk.img');
  writeFileSync(junk, 'not an image at all');
  const r = await run('objdump', junk);
  t.equal(r.code, 1);
  t.match(r.err, /^vamos objdump: .*junk\.img: /);
});

t.test('the unterminated-comment caret points at the /*', async (t) => {
  const c = join(dir, 'comment.c');
  writeFileSync(c, 'int main(void) { return 0; }\nint x; /* never closed\nmore\n');
  const r = await run('cc', c, '-o', join(dir, 'comment.img'));
  t.equal(r.code, 1);
  t.match(r.err, /comment\.c:2:8: error: unterminated comment\nint x; \/\* never closed\n {7}\^\n/);
});

t.test('report refuses a trace with NaN or negative timestamps, or time going back', async (t) => {
  const good = join(dir, 'good.trace');
  const rec = new TraceRecorder(good, { label: 't' });
  rec.record({ reason: 'hlt' }, 100, 0x1000, 50, undefined);
  rec.record({ reason: 'hlt' }, 200, 0x1000, 50, undefined);
  rec.close({ profile: 'nehalem-2011', cpuHz: 2_930_000_000, stop: 'x', symbols: [] });
  t.equal((await run('report', good)).code, 0);
  for (const [name, first, second, msg] of [
    ['nan', NaN, 200, /record 0 has time NaN, not a cycle count/],
    ['negative', -5, 200, /record 0 has time -5, not a cycle count/],
    ['backwards', 300, 200, /record 1 goes back in time \(200 after 300\)/],
  ] as const) {
    const bytes = new Uint8Array(readFileSync(good));
    const dv = new DataView(bytes.buffer);
    dv.setFloat64(0, first, true);
    dv.setFloat64(RECORD_SIZE, second, true);
    const path = join(dir, `${name}.trace`);
    writeFileSync(path, bytes);
    const r = await run('report', path);
    t.equal(r.code, 1, name);
    t.match(r.err, msg);
    t.equal(r.err.split('\n').length, 2, 'one line');
  }
});

t.test('help text keeps a space between a long flag and its help', async (t) => {
  const r = await run('bench', '--help');
  t.notMatch(r.out, /[A-Za-z0-9]--[a-z]|uniformkey/, "a flag runs into the text before it");
  t.match(r.out, /--distribution zipfian\|uniform\s+key popularity/);
});
