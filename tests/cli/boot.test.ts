import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../cli/vamos.js';
import { bufferIo } from '../../cli/io.js';
import { assemble } from '../../toolchain/as/assemble.js';
import { writeImage } from '../../toolchain/image/write.js';

const dir = mkdtempSync(join(tmpdir(), 'vamos-cli-'));

function run(...argv: string[]) {
  const io = bufferIo();
  const code = main(argv, io);
  return { code, out: io.out, err: io.err };
}

function imageFile(name: string, source: string): string {
  const path = join(dir, name);
  writeFileSync(path, writeImage(assemble(source, { file: name }).image));
  return path;
}

const hello = imageFile('hello.img', `
_start:
    mov esi, msg
.next:
    movzxb eax, [esi]
    cmp eax, 0
    je .done
    outb 0x3f8, eax
    inc esi
    jmp .next
.done:
    mov eax, 7
    outd 0xf4, eax
msg: .asciz "hi there\\n"
`);

t.test('boot prints the guest console and returns its exit code', async (t) => {
  const r = run('boot', hello);
  t.equal(r.out, 'hi there\n');
  t.equal(r.code, 7);
  t.equal(r.err, '');
});

t.test('--stats adds the perf-kvm-stat table after the console output', async (t) => {
  const r = run('boot', '--stats', hello);
  t.match(r.out, /^hi there\n\nguest powered off with exit code 7; \d+ instructions/);
  t.match(r.out, /VM-EXIT\s+Samples\s+Samples%\s+Time%\s+Min Time\s+Max Time\s+Avg time/);
  t.match(r.out, /serial:io\s+9\s/);
});

t.test('with no image the default disk boots through the firmware: kernel banner, init, hello', async (t) => {
  const r = run('boot');
  t.match(r.out, /^vamos kernel .*\(mx86\): \d+ MiB RAM/m);
  t.match(r.out, /^init: vamos userland$/m);
  t.match(r.out, /^init: hello exited with status 0$/m);
  t.match(r.out, /^kernel: init exited with status 0$/m);
  t.equal(r.code, 0);
  t.equal(r.err, '');
});

t.test('--max-instructions stops a guest that never ends', async (t) => {
  const spin = imageFile('spin.img', '_start: jmp _start\n');
  const r = run('boot', '--max-instructions', '10k', spin);
  t.equal(r.code, 124);
  t.match(r.err, /^vamos: stopped after 10000 instructions/);
});

t.test('a triple fault ends the run with exit code 125 and a crash report', async (t) => {
  const crash = imageFile('crash.img', '_start: ud2\n'); // no IDT: #UD → #GP → #DF → triple fault
  const r = run('boot', crash);
  t.equal(r.code, 125);
  // One line says what and where; the backtrace and registers follow (vmm/crash-report.ts).
  t.match(r.err, /^vamos: guest shut down: triple fault at 0x100000 \(_start\)\n  #0 0x100000 in _start\n  eax /);
});

t.test('a guest halted with interrupts off ends with exit code 126', async (t) => {
  const r = run('boot', imageFile('halt.img', '_start: hlt\n'));
  t.equal(r.code, 126);
  t.match(r.err, /halted with interrupts disabled/);
});

t.test('usage errors: one line, the usage, exit code 2', async (t) => {
  for (const argv of [
    ['boot', '--bogus'], ['boot', '--mem'], ['boot', '--mem', 'lots'], ['boot', '--mem', '1000'],
    ['boot', '--max-instructions', '-3'], ['boot', '--profile', 'no-such-profile'], ['boot', 'a.img', 'b.img'],
    ['boot', '--stats=yes'], ['frobnicate'],
  ]) {
    const r = run(...argv);
    t.equal(r.code, 2, argv.join(' '));
    t.match(r.err, /^vamos( boot)?: .+\n/, argv.join(' '));
    t.match(r.err, /usage: vamos/, argv.join(' '));
    t.notMatch(r.err, /\n\s+at /, 'no stack trace');
  }
});

t.test('bad input: one line naming the file, exit code 1', async (t) => {
  const junk = join(dir, 'junk.img');
  writeFileSync(junk, 'not an image at all');
  let r = run('boot', junk);
  t.equal(r.code, 1);
  t.match(r.err, /^vamos boot: .*junk\.img: .*magic/);
  t.equal(r.err.split('\n').length, 2, 'one line');
  r = run('boot', join(dir, 'missing.img'));
  t.equal(r.code, 1);
  t.match(r.err, /missing\.img: cannot read: ENOENT/);
  const badProfile = join(dir, 'bad.json');
  writeFileSync(badProfile, '{"name": "x"}');
  r = run('boot', '--profile', badProfile, hello);
  t.equal(r.code, 1);
  t.match(r.err, /^vamos boot: profile .*bad\.json: /);
});

t.test('help', async (t) => {
  const r = run('boot', '--help');
  t.equal(r.code, 0);
  t.match(r.out, /--max-instructions N/);
  t.match(run('--help').out, /commands:/);
});
