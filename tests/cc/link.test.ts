import t from 'tap';
import { bootRom } from '../../firmware/build.js';
import { Vm } from '../../vmm/vm.js';
import type { Image } from '../../toolchain/image/format.js';
import { link, LinkError } from '../../toolchain/ld/link.js';
import { displayName, objectText, parseObject, scanSymbols, unitPrefixFor, type ObjectFile } from '../../toolchain/ld/object.js';
import { build, compileObject } from '../../toolchain/cc/driver.js';

const obj = (name: string, text: string): ObjectFile => parseObject(name, text);

function run(image: Image): { out: string; code: number } {
  let out = '';
  const vm = new Vm({ kernel: image, firmware: bootRom(), console: (b) => { out += String.fromCharCode(b); }, maxInstructions: 5e6 });
  const r = vm.run();
  return { out, code: r.stop === 'poweroff' ? r.exitCode : -1 };
}

const START = obj('start.s', `
_start:
        call greet
        push 3
        call finish
`);
const GREET = obj('greet.s', `
greet:
        mov esi, msg
.next:
        movzxb eax, [esi]
        test eax, eax
        je .done
        outb 0x3f8, eax
        inc esi
        jmp .next
.done:
        ret
.data
msg:    .asciz "linked\\n"
`);
const FINISH = obj('finish.s', `
finish:
        mov eax, [esp + 4]
        outd 0xf4, eax
`);
const UNUSED = obj('unused.s', `
unused:
        ret
`);

function linkError(f: () => unknown): LinkError {
  try { f(); } catch (e) { if (e instanceof LinkError) return e; throw e; }
  throw new Error('expected a LinkError');
}

t.test('assembly objects link into one image and run', async (t) => {
  const { image, objects } = link([START, GREET], { libraries: [[FINISH, UNUSED]] });
  t.same(objects.map((o) => o.name), ['start.s', 'greet.s', 'finish.s'], 'only the library member that is needed');
  t.same(run(image), { out: 'linked\n', code: 3 });
  const greet = image.symbols.find((s) => s.name === 'greet')!;
  t.equal(greet.kind, 'func');
  t.ok(greet.size >= 36, `greet has a size (${greet.size})`);
});

t.test('an odd-sized object does not misalign the next one', async (t) => {
  const odd = obj('odd.s', `.text\noddstr: .byte 1, 2, 3\n.data\n.byte 7\n`);
  const { image } = link([START, odd, GREET, FINISH]);
  t.equal(run(image).out, 'linked\n');
});

t.test('load addresses and the entry point are options', async (t) => {
  const { image } = link([GREET, FINISH, START], { textBase: 0x200000, dataBase: 0x300000, entry: '_start' });
  t.equal(image.segments[0]!.vaddr, 0x200000);
  t.equal(image.segments[1]!.vaddr, 0x300000);
  t.equal(image.entry, image.symbols.find((s) => s.name === '_start')!.value);
  t.equal(run(image).code, 3);
});

t.test('undefined references name the object and the line', async (t) => {
  const e = linkError(() => link([START, GREET]));
  t.match(e.message, /^start.s:5:14: error: undefined reference to 'finish'\n        call finish\n             \^/);
});

t.test('multiple definitions name both objects', async (t) => {
  const again = obj('again.s', 'greet:\n ret\n');
  const e = linkError(() => link([START, GREET, again, FINISH]));
  t.equal(e.message, "again.s: error: multiple definition of 'greet' (first defined in greet.s)");
});

t.test('the object format: a header line, then assembly', async (t) => {
  const unit = unitPrefixFor('dir/x.c');
  t.match(unit, /^u[0-9a-f]{8}\$$/);
  t.equal(unitPrefixFor('dir/x.c'), unit, 'deterministic');
  t.not(unitPrefixFor('dir/y.c'), unit);
  const text = objectText('f:\n ret', unit, 'dir/x.c');
  t.match(text, /^;! vamos-object 1 unit=u[0-9a-f]{8}\$ source="dir\/x.c"\nf:\n ret\n$/);
  const o = parseObject('x.o', text);
  t.same({ unit: o.unit, source: o.source }, { unit, source: 'dir/x.c' });
  t.equal(parseObject('y.s', 'g: ret').unit, '', 'plain assembly is an object too');
  t.equal(displayName(`${unit}helper`), 'helper');
  t.same(scanSymbols(obj('s.s', 'a:\n.equ B, 1\nC = 2\n.x: mov eax, "d:"\n ; e:\n')).defines, ['a', 'B', 'C']);
});

t.test('C units: static names get the unit prefix and lose it again in the image', async (t) => {
  const a = compileObject('static int helper(int x) { return x + 1; }\nint twice(int x) { return helper(x) * 2; }\n', 'a.c');
  const b = compileObject('static int helper(int x) { return x - 1; }\nint main(void) { extern int twice(int); return twice(helper(5)); }\n', 'b.c');
  t.match(a.text, /^;! vamos-object 1 unit=u[0-9a-f]{8}\$ source="a.c"\n/);
  const { image } = build([{ path: 'a.o', text: a.text }, { path: 'b.o', text: b.text }]);
  t.equal(run(image).code, 10);
  t.equal(image.symbols.filter((s) => s.name === 'helper').length, 2, 'both statics, by their C names');
  t.notOk(image.symbols.some((s) => s.name === 'printf'), 'no libc member that is not needed');
});

t.test('a build is reproducible', async (t) => {
  const src = [{ path: 'r.c', text: '#include <stdio.h>\nstatic int k = 3;\nint main(void) { printf("%d\\n", k); return 0; }\n' }];
  const a = build(src).image;
  const b = build(src).image;
  t.same(a, b);
});
