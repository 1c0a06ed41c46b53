import t from 'tap';
import { assemble, assembleRaw } from '../../toolchain/as/assemble.js';
import { disassemble } from '../../vmm/isa/disasm.js';
const src = `
; hello
.equ SERIAL, 0x3f8
_start:
    mov esi, msg
.loop:
    movzxb eax, [esi]
    test eax, eax
    je .done
    outb SERIAL, eax
    inc esi
    jmp .loop
.done:
    mov eax, 0
    outd 0xf4, eax
    mov eax, [ebx + ecx*4 + 8]
    mov cr3, eax
    shl eax, 3
    int 0x80
.data
msg: .asciz "hi\\n"
table: .dword 1, 2, _start.loop
.bss
buf: .space 100
`;
t.test('smoke', async (t) => {
  try {
    const r = assemble(src, { file: 'x.s' });
    console.log(JSON.stringify(r.image.symbols), r.image.entry.toString(16), r.image.segments.map(s => [s.name, s.vaddr.toString(16), s.memSize]));
    for (const l of disassemble(r.image.segments[0]!.data, 0x100000)) console.log(l.address.toString(16), l.text);
  } catch (e) { console.log(String(e)); }
  try { assemble('mov [eax], [ebx]\n  foo 1\n .byte 300\n jmp nowhere\n x: .dword 1/0\n.org 0\nmov eax, (1+\n', { file: 'e.s' }); } catch (e) { console.log(String(e)); }
  console.log(assembleRaw('nop\nret', 0));
});
