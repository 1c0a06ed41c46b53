/**
 * The compile() contract the linker and the CLI build on: symbol naming (globals keep their C
 * names, file-local symbols get the unit prefix), sections, several units in one assembly, the
 * cdecl ABI with hand-written assembly, and the __mx86_* builtins.
 */
import t from 'tap';
import { compile } from '../../toolchain/cc/compile.js';
import { assemble } from '../../toolchain/as/assemble.js';
import { bootRom } from '../../firmware/build.js';
import { Vm } from '../../vmm/vm.js';
import { PRINT, runC, STUB } from './compiler-harness.js';

function run(asm: string): { out: string; code: number } {
  const { image } = assemble(asm, { file: 'units.s' });
  let out = '';
  const vm = new Vm({ kernel: image, firmware: bootRom(), console: (b) => { out += String.fromCharCode(b); }, maxInstructions: 10_000_000 });
  const r = vm.run();
  return { out, code: r.exitCode };
}

/** The section each label is defined in. */
function sections(asm: string): Map<string, string> {
  const m = new Map<string, string>();
  let sec = 'text';
  for (const line of asm.split('\n')) {
    const s = /^\s*\.(text|data|bss)\b/.exec(line);
    if (s) { sec = s[1]!; continue; }
    const l = /^([A-Za-z_][\w.$]*):/.exec(line);
    if (l) m.set(l[1]!, sec);
  }
  return m;
}

t.test('globals keep their names; statics, string literals and static locals get the prefix', async (t) => {
  const asm = compile(`
    int g_init = 3; int g_zero; static int s_var = 4; static int s_zero;
    const char *msg = "hi";
    static int helper(void) { static int calls; return ++calls; }
    int api(void) { return helper() + s_var + s_zero + g_zero; }
  `, { file: 'u.c', unitPrefix: '_U7_' });
  const secs = sections(asm);
  t.equal(secs.get('g_init'), 'data');
  t.equal(secs.get('g_zero'), 'bss');
  t.equal(secs.get('_U7_s_var'), 'data');
  t.equal(secs.get('_U7_s_zero'), 'bss');
  t.equal(secs.get('msg'), 'data');
  t.equal(secs.get('api'), 'text');
  t.equal(secs.get('_U7_helper'), 'text');
  t.ok([...secs.keys()].some((k) => /^_U7_helper_calls_\d+$/.test(k)), 'static local');
  t.ok([...secs.keys()].some((k) => k.startsWith('_U7_D') && secs.get(k) === 'data'), 'string literal');
  t.match(asm, /\.global api\b/);
  t.match(asm, /\.global g_init\b/);
  t.notMatch(asm, /\.global _U7_/);
  for (const k of secs.keys()) {
    if (!['g_init', 'g_zero', 'msg', 'api'].includes(k)) t.ok(k.startsWith('_U7_') || k.startsWith('.'), `${k} is prefixed`);
  }
  t.match(compile('static int s;', { file: 'd.c' }), /_L0_s:/, 'the default prefix is _L0_');
});

t.test('two units with clashing statics concatenate into one working program', async (t) => {
  const a = compile(`
    static int helper(int x) { return x * 2; }
    static int state = 10;
    static const char *name = "unit-a";
    int a_value(int x) { return helper(x) + state + name[5]; }
  `, { file: 'a.c', unitPrefix: '_L1_' });
  const b = compile(`
    int a_value(int x);
    static int helper(int x) { return x + 1000; }
    static int state = 20;
    static const char *name = "unit-b";
    int main(void) { long long big = 1; big <<= 40; return helper(a_value(1)) - 1000 + state + name[5] + (int)(big >> 40) - 'a' - 'b'; }
  `, { file: 'b.c', unitPrefix: '_L2_' });
  const r = run(STUB + a + b);
  t.equal(r.code, 2 + 10 + 20 + 1);
});

t.test('cdecl: C calls assembly and assembly calls C, with long long and struct returns', async (t) => {
  const asm = compile(`
    struct pair { int a, b; };
    int asm_add3(int x, int y, int z);
    long long asm_ll(long long v);
    struct pair make(int a, int b) { struct pair p; p.a = a; p.b = b; return p; }
    int c_callback(int v) { return v * 3; }
    int asm_calls_c(int v);
    int main(void) {
      struct pair p = make(4, 5);
      return asm_add3(1, 2, 3) + (int)(asm_ll(0x100000000LL) >> 32) + p.a * p.b + asm_calls_c(7);
    }
  `, { file: 'c.c' });
  const r = run(`${STUB}
asm_add3:
        mov eax, [esp + 4]
        add eax, [esp + 8]
        add eax, [esp + 12]
        ret
asm_ll:
        mov eax, [esp + 4]
        mov edx, [esp + 8]
        add edx, edx
        ret
asm_calls_c:
        push ebx
        mov ebx, [esp + 8]
        push ebx
        call c_callback
        add esp, 4
        pop ebx
        ret
${asm}`);
  t.equal(r.code, 6 + 2 + 20 + 21);
});

t.test('builtins: port I/O, control registers, rdtsc and vmcall', async (t) => {
  const r = runC(PRINT + "typedef __builtin_va_list va_list;\n\ntypedef unsigned int uint32_t; typedef unsigned char uint8_t; typedef int int32_t; typedef unsigned long long uint64_t;\nvoid __mx86_outb(unsigned port, unsigned v);\nstruct dev { const char *name; int (*op)(struct dev *, int); int state; };\nstatic int dev_op(struct dev *d, int x) { d->state += x; return d->state; }\nstruct dev devs[] = { { \"a\", dev_op, 1 }, { \"b\", dev_op, 10 } };\nstatic void out(char c) { __mx86_outb(0x3f8, c); }\nstatic void outs(const char *s) { while (*s) out(*s++); }\nstatic void outn(uint32_t v, int base) { char b[33]; int n = 0; do { b[n++] = \"0123456789abcdef\"[v % base]; v /= base; } while (v); while (n) out(b[--n]); }\nstatic int vfmt(const char *f, va_list ap) {\n  int n = 0;\n  for (; *f; f++) {\n    if (*f != '%') { out(*f); n++; continue; }\n    switch (*++f) {\n      case 'd': { int v = __builtin_va_arg(ap, int); if (v < 0) { out('-'); v = -v; } outn(v, 10); break; }\n      case 'u': outn(__builtin_va_arg(ap, unsigned), 10); break;\n      case 'x': outn(__builtin_va_arg(ap, unsigned), 16); break;\n      case 's': outs(__builtin_va_arg(ap, const char *)); break;\n      case 'c': out((char)__builtin_va_arg(ap, int)); break;\n      case 'L': { uint64_t v = __builtin_va_arg(ap, uint64_t); outn((uint32_t)(v >> 32), 16); out(':'); outn((uint32_t)v, 16); break; }\n      default: out(*f);\n    }\n  }\n  return n;\n}\nint fmt(const char *f, ...) { va_list ap; __builtin_va_start(ap, f); int n = vfmt(f, ap); __builtin_va_end(ap); return n; }\nextern char table[];\nchar table[4] = { 'w', 'x', 'y', 'z' };\nenum color { RED, GREEN = 5, BLUE };\ntypedef enum color color_t;\nstruct withu { int kind; union { int i; char c[4]; }; };\nint main(void) {\n  fmt(\"hello %s %d %u %x %c|%L\\n\", \"world\", -42, 3000000000u, 0xbeef, '!', 0x123456789abcdefULL);\n  for (unsigned i = 0; i < sizeof devs / sizeof devs[0]; i++) fmt(\"%s=%d \", devs[i].name, devs[i].op(&devs[i], 5));\n  fmt(\"\\n%c%c %d %d\\n\", table[0], table[3], BLUE, (color_t)GREEN);\n  struct withu w; w.kind = 1; w.i = 0x41424344; fmt(\"%c%c\\n\", w.c[0], w.c[3]);\n  volatile uint32_t *p = (volatile uint32_t *)0x200000; *p = 77; fmt(\"%d\\n\", *(uint32_t *)0x200000);\n  uint32_t cr0 = __mx86_read_cr0(); fmt(\"cr0=%x\\n\", cr0);\n  unsigned long long t1 = __mx86_rdtsc(), t2 = __mx86_rdtsc(); fmt(\"%d\\n\", t2 > t1);\n  return 0;\n}\n");
  t.equal(r.out, 'hello world -42 3000000000 beef !|1234567:89abcdef\na=6 b=15 \nwz 6 5\nDA\n77\ncr0=0\n1\n');
  t.equal(r.code, 0);
  t.match(r.asm, /outb 1016, /);
  const v = runC(PRINT + `
    int main(void) {
      int keep = 11;
      int r = __mx86_vmcall(9999, 1, 2, 3, 4, 5);
      print(r); print(keep);
      __mx86_outb(0x3f8, 'k'); __mx86_outl(0x3f8 + 0 * keep, '\\n');
      return __mx86_inb(0x3f8 + 5) != 0;
    }`);
  t.equal(v.out, '-38\n11\nk\n');
  t.match(v.asm, /vmcall/);
});

t.test('falling off the end of main returns 0 (C99)', async (t) => {
  const r = runC('int main(void) { putchar(\'m\'); }');
  t.equal(r.out, 'm');
  t.equal(r.code, 0);
});

t.test('constant folding and register temporaries: no stack traffic for a pure expression', async (t) => {
  const asm = compile('int f(int a, int b, int c) { return (a + b) * (b - c) ^ (a | 4 * 8 + 1); }', { file: 'f.c' });
  const body = asm.slice(asm.indexOf('f:'), asm.indexOf('.Lret'));
  t.notMatch(body, /\bpop\b/, 'temporaries stay in registers (no spill pairs)');
  t.notMatch(body, /\[ebp - /, 'no temporaries stored to the frame');
  t.match(body, /or \w+, 33/, '4 * 8 + 1 folded');
});
