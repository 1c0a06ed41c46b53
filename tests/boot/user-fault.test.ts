/**
 * The hello kernel's exception handler, exercised from ring 3: guest-os/hello/fault.s (a user
 * program that executes a privileged instruction) and small user programs written here around
 * the same kernel (defs.s + kcore.s), one per kind of fault.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { bootRom } from '../../firmware/build.js';
import { assemble } from '../../toolchain/as/assemble.js';
import type { Image } from '../../toolchain/image/format.js';
import { projectFile } from '../../vmm/paths.js';
import { Vm } from '../../vmm/vm.js';

const HELLO = projectFile('guest-os', 'hello');

function build(file: string, source = readFileSync(file, 'utf8')): Image {
  return assemble(source, { file, includeDirs: [HELLO] }).image;
}

function symbol(img: Image, name: string): number {
  const s = img.symbols.find((x) => x.name === name);
  if (!s) throw new Error(`no symbol ${name}`);
  return s.value;
}

function boot(kernel: Image): { out: string; result: ReturnType<Vm['run']>; vm: Vm } {
  let out = '';
  const vm = new Vm({ kernel, firmware: bootRom(), console: (b) => { out += String.fromCharCode(b); } });
  const result = vm.run();
  return { out, result, vm };
}

const hex = (v: number): string => '0x' + (v >>> 0).toString(16).padStart(8, '0');

t.test('a privileged instruction in ring 3 is reported as #GP (13) and powers off non-zero', async (t) => {
  const img = build(projectFile('guest-os', 'hello', 'fault.s'));
  const { out, result } = boot(img);
  t.match(out, /^hello from ring 3, about to misbehave$/m);
  t.match(out, /^user: write\(kernel memory\) returned -14$/m, 'write() checks the buffer is user memory');
  t.match(out, /^user: system call 99 returned -38$/m, 'unknown system calls get -ENOSYS');
  const eip = symbol(img, 'user_fault_insn');
  t.match(out, new RegExp(`^kernel: exception 13 error 0x00000000 at eip ${hex(eip)} in ring 3\n$`, 'm'));
  t.notMatch(out, /exited with code/);
  t.equal(result.stop, 'poweroff', result.message);
  t.equal(result.exitCode, 0x80 + 13);
});

/** The default kernel with a one-off user program (its body runs first thing in ring 3). */
function variant(body: string): string {
  return `
.include "defs.s"
.include "kcore.s"
.text
.align PAGE_SIZE
user_text_start:
user_main:
${body}
fault_done:
        xor ebx, ebx
        mov eax, SYS_EXIT
        int VEC_SYSCALL
.align PAGE_SIZE
user_text_end:
`;
}

const CASES: { name: string; body: string; vector: number; error: (img: Image) => number; cr2?: (img: Image) => number }[] = [
  {
    name: 'a write to its own read-only code page is #PF (14) with P|W|U and cr2',
    body: '        mov eax, 1\nfault_insn:\n        mov [user_main], eax',
    vector: 14, error: () => 7, cr2: (img) => symbol(img, 'user_main'),
  },
  {
    name: 'a read of supervisor-only kernel memory is #PF with P|U',
    body: 'fault_insn:\n        mov eax, [kernel_text_start]',
    vector: 14, error: () => 5, cr2: (img) => symbol(img, 'kernel_text_start'),
  },
  {
    name: 'a read of the unmapped null page is #PF with U only',
    body: 'fault_insn:\n        mov eax, [16]',
    vector: 14, error: () => 4, cr2: () => 16,
  },
  {
    name: 'ud2 is #UD (6)',
    body: 'fault_insn:\n        ud2',
    vector: 6, error: () => 0,
  },
  {
    name: 'a division by zero is #DE (0)',
    body: '        xor edx, edx\n        mov eax, 1\n        xor ecx, ecx\nfault_insn:\n        div ecx',
    vector: 0, error: () => 0,
  },
  {
    name: 'int with a kernel-only gate is #GP with the gate in the error code',
    body: 'fault_insn:\n        int 32',
    vector: 13, error: () => 32 * 8 + 2,
  },
];

for (const c of CASES) {
  t.test(c.name, async (t) => {
    const img = build('variant.s', variant(c.body));
    const { out, result } = boot(img);
    const eip = symbol(img, 'fault_insn');
    const cr2 = c.cr2 ? `, cr2 ${hex(c.cr2(img))}` : '';
    t.match(out, `kernel: exception ${c.vector} error ${hex(c.error(img))} at eip ${hex(eip)} in ring 3${cr2}\n`);
    t.equal(result.stop, 'poweroff', result.message);
    t.equal(result.exitCode, 0x80 + c.vector);
  });
}
