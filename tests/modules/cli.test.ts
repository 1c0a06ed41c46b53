/**
 * `--module` on the commands that run a guest (docs/modules.md, docs/cli.md): every load error
 * is one line with its documented exit code before the guest starts; a module that fails at
 * run time gives the guest its error code and the user one line naming the module while the VM
 * goes on; module calls are attributed per module in --stats and traces; a module sees only
 * the buffers of the call in hand.
 */
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../cli/vamos.js';
import { bufferIo } from '../../cli/io.js';

const dir = mkdtempSync(join(tmpdir(), 'vamos-modules-'));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

async function vamos(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = bufferIo();
  const code = await main(argv, io);
  return { code, out: io.out, err: io.err };
}

/** A guest program: opens module NAME, calls op with a request, prints the result and bytes. */
const caller = file('caller.c', `
#include <stdio.h>
#include <string.h>
#include <vamos_module.h>
static char buf[16];
static unsigned char resp[64];
static void show(int h, unsigned op, const char *req) {
    int n, i;
    strcpy(buf, req);
    n = vmod_call(h, op, buf, strlen(buf), resp, sizeof resp);
    printf("op %u: %d", op, n);
    for (i = 0; i < n && i < 64; i++) printf("%c", resp[i]);
    printf(" (%s)\\n", n < 0 ? vmod_strerror(n) : "ok");
}
int main(void) {
    int h = vmod_open("m");
    if (h < 0) { printf("open: %d %s\\n", h, vmod_strerror(h)); return 3; }
    show(h, 1, "AAAAAAAA");
    strcpy(buf, "BBBBBBBB");       /* guest memory changes between calls: the module must not see it */
    show(h, 2, "CC");
    show(h, 3, "DDDD");
    show(h, 3, "EEEE");
    return 0;
}
`);

/** op 1 keeps the request; op 2 answers with the kept request's bytes; op 3 misbehaves as `bad` says. */
const tsModule = (bad: string): string => file(`m-${bad}.mjs`, `
let kept;
export function createModule(env) {
  return { name: env.name, kind: 'ts', call(op, request, response) {
    if (op === 1) { kept = request; return { status: 0, cycles: 10 }; }
    if (op === 2) {
      // The kept view, printable: the later call's bytes, zeros (shown as '.') past their end.
      kept.forEach((b, i) => { response[i] = b === 0 ? 46 : b; });
      return { status: kept.length, cycles: 10 };
    }
    ${bad === 'throws' ? "throw new Error('out of cheese\\nsecond line');" : ''}
    ${bad === 'status' ? 'return { status: response.length + 1, cycles: 10 };' : ''}
    ${bad === 'negative' ? 'return { status: -(2 ** 40), cycles: 10 };' : ''}
    ${bad === 'cycles' ? 'return { status: 0, cycles: NaN };' : ''}
    ${bad === 'huge' ? 'return { status: 0, cycles: 1e300 };' : ''}
    ${bad === 'async' ? 'return Promise.resolve({ status: 0, cycles: 1 });' : ''}
    return { status: 0, cycles: 10 };
  } };
}
`);

t.test('a module keeps the request of an earlier call: it sees the later call\'s bytes, never guest memory', async (t) => {
  const r = await vamos('run', '--module', `m=${tsModule('none')}`, caller);
  t.equal(r.code, 0, r.err);
  t.match(r.out, /op 1: 0 \(ok\)/);
  t.match(r.out, /op 2: 8CC\.\.\.\.\.\. \(ok\)/, 'the kept view holds the shorter second request, then zeros: not AAAA, not BBBB');
  t.notMatch(r.out, /BBBB|AAAA/);
});

for (const [bad, line] of [
  ['throws', /^vamos: module m: call failed: out of cheese$/m],
  ['status', /^vamos: module m: call returned status 65 \(expected -4095\.\.64: /m],
  ['negative', /^vamos: module m: call returned status -1099511627776 \(expected -4095\.\.64: /m],
  ['cycles', /^vamos: module m: call returned a cost of NaN cycles/m],
  ['huge', /^vamos: module m: call returned a cost of 1e\+300 cycles/m],
  ['async', /^vamos: module m: call returned a cost of undefined cycles \(a call is synchronous/m],
] as const) {
  t.test(`a TypeScript module whose call ${bad === 'throws' ? 'throws' : `returns a bad ${bad}`}: -EIO now and later, one line, the VM goes on`, async (t) => {
    const r = await vamos('run', '--stats', '--module', `m=${tsModule(bad)}`, caller);
    t.equal(r.code, 0, 'the guest ran to its end');
    t.match(r.out, /op 3: -5 \(the module failed\)\nop 3: -5 \(the module failed\)/, 'the module stays failed');
    t.match(r.err, line);
    t.equal(r.err.split('\n').filter((l) => l.startsWith('vamos: module')).length, 1, 'one line, however many calls');
    t.match(r.err, /^module m: 4 calls, 0 errors, 2 failures, 18 request bytes, 8 response bytes, /m);
    t.notMatch(r.err, /second line|at .*\.js:/, 'no stack trace');
  });
}

t.test('a module whose close throws: one line, and the run\'s statistics and trace are still written', async (t) => {
  const closer = file('bad-close.mjs', `export function createModule(env) {
    return { name: env.name, kind: 'ts', call() { return { status: 0, cycles: 1 }; }, close() { null.x; } };
  }`);
  const prog = join(dir, 'caller-close.img');
  t.equal((await vamos('cc', caller, '-o', prog)).code, 0);
  const trace = join(dir, 'close.trc');
  const r = await vamos('boot', prog, '--stats', '--trace', trace, '--module', `m=${closer}`);
  t.equal(r.code, 0, r.err);
  t.match(r.err, /^vamos: module m: close failed: Cannot read properties of null/m);
  t.match(r.out, /Analyze events/);
  t.equal((await vamos('report', trace)).code, 0, 'the trace is readable');
});

const imageSource = file('bad-module.c', `
#include <string.h>
int module_init(void) { return 0; }
int module_call(unsigned op, const unsigned char *req, unsigned len, unsigned char *resp, unsigned cap) {
    if (op == 1) return 0;
    if (op == 2) { memcpy(resp, "ok", 2); return 2; }
    if (op == 3) { for (;;) { } }
    return 0;
}
`);
const wildSource = file('wild-module.c', `
int module_init(void) { return 0; }
int module_call(unsigned op, const unsigned char *req, unsigned len, unsigned char *resp, unsigned cap) {
    if (op == 3) return *(volatile int *)0x7ffffff0;   /* past the module's 16 MiB */
    return 0;
}
`);

t.test('an image module that runs past its budget or leaves its memory fails alone', async (t) => {
  const obj = join(dir, 'bad-module.o');
  t.equal((await vamos('cc', '--module', '-c', file('hc.c', '#include <hostcall.h>\nint module_init(void) { return 0; }\n'), '-o', obj)).code, 0, 'cc --module -c finds <hostcall.h>');
  const img = join(dir, 'bad-module.img');
  t.equal((await vamos('cc', '--module', imageSource, '-o', img)).code, 0);
  const loop = await vamos('run', '--module', `m=${img},budget=100000`, caller);
  t.equal(loop.code, 0);
  t.match(loop.out, /op 2: 2ok \(ok\)/);
  t.match(loop.out, /op 3: -5 \(the module failed\)/);
  t.match(loop.err, /^vamos: module m: ran past its budget of 100000 instructions$/m);

  const wild = join(dir, 'wild-module.img');
  t.equal((await vamos('cc', '--module', wildSource, '-o', wild)).code, 0);
  const r = await vamos('run', '--module', `m=${wild}`, caller);
  t.equal(r.code, 0);
  t.match(r.out, /op 3: -5/);
  t.match(r.err, /^vamos: module m: accessed 0x7ffffff0, outside its memory, at eip 0x[0-9a-f]+$/m);
});

t.test('load errors: one line, exit 2 for usage, 1 for a module that cannot be loaded', async (t) => {
  const good = tsModule('none');
  const prog = join(dir, 'caller-for-boot.img');
  t.equal((await vamos('cc', caller, '-o', prog)).code, 0);
  const cases: [string[], number, RegExp][] = [
    [['--module', 'm'], 2, /--module m: expected name=path/],
    [['--module', `m=${good}`, '--module', `m=${good}`], 2, /--module m: given twice/],
    [['--module', 'm=x.txt'], 2, /expected an \.img module image or a \.js\/\.mjs module/],
    [['--module', `m=${good},flag`], 2, /option 'flag' is not key=value/],
    [['--module', 'm=mod.img,colour=blue'], 2, /unknown option 'colour' for an image module/],
    [['--module', 'bad name=x.mjs'], 2, /the name must be/],
    [['--module', `m=${join(dir, 'missing.mjs')}`], 1, /missing\.mjs: no such file/],
    [['--module', `m=${file('throwing.mjs', "export function createModule() { throw new Error('no licence'); }")}`], 1, /--module m: createModule failed: no licence/],
    [['--module', `m=${file('syntax.mjs', 'export function (')}`], 1, /--module m: .*syntax\.mjs: cannot load: /],
    [['--module', `m=${file('empty.mjs', 'export const x = 1;')}`], 1, /does not export createModule/],
    [['--module', `m=${file('wrong.mjs', "export function createModule() { return { name: 'other', kind: 'ts', call() {} }; }")}`], 1, /returned a module named 'other'/],
    [['--module', `m=${file('not-an-image.img', 'hello')}`], 1, /not-an-image\.img/],
    [['--module', `m=${good},k=1,k=2`], 2, /option 'k' given twice/],
    [['--module', `m=${join(dir, 'bad-module.img')},mem=1`], 1, /--module m: mem=1: expected a multiple of 4 KiB/],
    [['--module', `m=${file('promise.mjs', 'export async function createModule(env) { return {}; }')}`], 1, /did not return a module \(it returned a promise/],
  ];
  for (const [flags, code, message] of cases) {
    for (const cmd of [['run', ...flags, caller], ['boot', ...flags, prog]]) {
      const r = await vamos(...cmd);
      t.equal(r.code, code, `${cmd.join(' ')}: ${r.err}`);
      t.match(r.err.split('\n')[0], message);
      t.notMatch(r.err, /^\s+at /m, 'no stack trace');
    }
  }
  const serve = await vamos('serve', '--port', '0', '--module', `m=${good}`, '--module', `m=${good}`);
  t.equal(serve.code, 2);
  t.match(serve.err, /--module m: given twice/);
  const taken = await vamos('serve', '--placement', 'vamos', '--port', '0', '--module', `vamos-engine=${good}`);
  t.equal(taken.code, 2);
  t.match(taken.err, /the name is taken by the database engine/);
});

t.test('--stats and traces attribute module calls to the module by name', async (t) => {
  const prog = join(dir, 'caller.img');
  t.equal((await vamos('cc', caller, '-o', prog)).code, 0);
  const trace = join(dir, 'm.trc');
  const r = await vamos('boot', prog, '--module', `m=${tsModule('none')}`, '--stats', '--trace', trace);
  t.equal(r.code, 0, r.err);
  t.match(r.out, /^module m: 4 calls, 0 errors, 0 failures, 18 request bytes, 8 response bytes, [\d.]+ us$/m);
  t.match(r.out, /^\s+module\/m:vmcall\s+4 /m);
  const report = await vamos('report', trace, '--by', 'device');
  t.equal(report.code, 0, report.err);
  t.match(report.out, /^\s+module\/m\s+4 /m);
});
