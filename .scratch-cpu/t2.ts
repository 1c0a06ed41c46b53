import { assembleRaw } from '../toolchain/as/assemble.js';
import { disassemble } from '../vmm/isa/disasm.js';
const b = assembleRaw(`start:\n mov eax, [ebx + ecx*4 + 0x10]\n movzxb eax, [esi]\n outb 0x3f8, eax\n mov cr3, eax\n jne start\n.align 16\ndata: .dword 1, 2, start\n`, 0x1000);
for (const l of disassemble(b, 0x1000)) console.log(l.address.toString(16), l.text);
