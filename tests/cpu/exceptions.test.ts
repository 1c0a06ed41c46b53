/**
 * Events and exits: exception delivery and its frame, #UD/#GP rules, the ring 3 → ring 0 switch
 * and iret, double and triple faults, external interrupts with IF and the sti shadow, the
 * interrupt window, and every exit the vCPU produces (io, mmio with restart/replay, hlt, vmcall,
 * cpuid, preemption, shutdown).
 */
import t from 'tap';
import { BY_OPCODE, ISA, type InsnDef } from '../../vmm/isa/table.js';
import { decode, encode, reservedBits, wordsToBytes, type Operand } from '../../vmm/isa/encoding.js';
import { RESET_VECTOR } from '../../vmm/memory.js';
import { CODE, DATA, EFLAGS, IDT, KSTACK, Machine, PTE, STACK, STUBS, asm } from './harness.js';

const MMIO = 0xd0000000;
const GP = 13, UD = 6, DF = 8, PFV = 14, DE = 0;
const IF = EFLAGS.IF;

/** A ring 0 machine with recording handlers for all vectors. */
function machine(opts: { ring3?: boolean; eflags?: number; except?: number[]; dpl?: number } = {}): Machine {
  const m = new Machine();
  m.installTraps({ except: opts.except, dpl: opts.dpl });
  if (opts.eflags !== undefined) m.setEflags(opts.eflags);
  if (opts.ring3) m.cpu.setPrivilege(3);
  return m;
}

/** Operands that make any form encodable: eax, cr0, [DATA], small immediates. */
function sampleOperands(d: InsnDef): Operand[] {
  let regs = 0;
  return d.operands.map((k): Operand => {
    switch (k) {
      case 'r': return { kind: 'r', reg: regs++ === 0 ? 0 : 3 };
      case 'c': return { kind: 'c', cr: 0 };
      case 'm': return { kind: 'm', base: null, index: null, scale: 1, disp: DATA };
      case 'u5': return { kind: k, value: 1 };
      case 'u8': return { kind: k, value: 0x20 };
      case 'p16': return { kind: k, value: 0x3f8 };
      case 'i': case 'rel': return { kind: k, value: 0 };
    }
  });
}

function load(m: Machine, words: readonly number[], at = CODE): void {
  m.load(at, wordsToBytes([...words, 0, 0, 0]));
}

t.test('exception frames: five words and the right return eip', async (t) => {
  const cases: { name: string; code: string; vector: number; error: number; eip: number; ring3?: boolean; regs?: Record<string, number>; except?: number[]; setup?: (m: Machine) => void }[] = [
    { name: '#DE (fault: the div)', code: 'nop\ndiv ecx', vector: DE, error: 0, eip: CODE + 4, regs: { ecx: 0 } },
    { name: '#UD (fault: the ud2)', code: 'nop\nud2', vector: UD, error: 0, eip: CODE + 4 },
    { name: '#GP at ring 3 (fault: the cli)', code: 'nop\ncli', vector: GP, error: 0, eip: CODE + 4, ring3: true },
    { name: '#PF (fault: the load)', code: `nop\nmov eax, [${0x400000}]`, vector: PFV, error: 0, eip: CODE + 4, setup: (m) => { m.paging({ identityEnd: 0x100000 }); } },
    { name: '#PF at ring 3', code: `nop\nmov eax, [${0x400000}]`, vector: PFV, error: 4, eip: CODE + 4, ring3: true, setup: (m) => { m.paging({ identityEnd: 0x100000 }); } },
    { name: '#DF (an exception without a gate)', code: 'nop\nud2', vector: DF, error: 0, eip: CODE + 4, except: [UD] },
    { name: 'int n (trap: the next instruction)', code: 'nop\nint 0x30', vector: 0x30, error: 0, eip: CODE + 8 },
    { name: 'int n from ring 3 (DPL 3 gate)', code: 'nop\nint 0x80', vector: 0x80, error: 0, eip: CODE + 8, ring3: true, setup: (m) => m.gate(0x80, STUBS + 4 * 0x80, { dpl: 3 }) },
  ];
  for (const c of cases) {
    t.test(c.name, async (t) => {
      const m = machine({ except: c.except });
      m.setEflags(IF | EFLAGS.CF | EFLAGS.SF);
      c.setup?.(m);
      m.code(c.code);
      m.setRegs({ esp: STACK - 8, ...c.regs });
      if (c.ring3) m.cpu.setPrivilege(3);
      const before = m.eflags;
      const tr = m.runToTrap();
      t.match(tr, { vector: c.vector, error: c.error, eip: c.eip, ring: c.ring3 ? 3 : 0, eflags: before, esp: STACK - 8 });
      t.equal(tr.frame, (c.ring3 ? KSTACK : STACK - 8) - 20, c.ring3 ? 'frame on the kernel stack' : 'frame on the current stack');
      t.equal(m.cpu.cpl, 0, 'handler runs at ring 0');
      t.notOk(m.eflags & IF, 'interrupt gate cleared IF');
      t.equal(m.eflags & EFLAGS.CF, EFLAGS.CF, 'arithmetic flags kept');
    });
  }
});

t.test('#UD: undefined opcodes', async (t) => {
  const m = machine();
  let n = 0;
  for (let op = 0; op < 256; op++) {
    if (BY_OPCODE[op]) continue;
    load(m, [op]);
    m.cpu.eip = CODE;
    m.setRegs({ esp: STACK });
    const tr = m.runToTrap();
    if (tr.vector !== UD || tr.eip !== CODE) t.fail(`opcode 0x${op.toString(16)}: ${JSON.stringify(tr)}`);
    n++;
  }
  t.ok(n > 0, `${n} undefined opcodes raise #UD`);
});

t.test('#UD: every reserved bit of every entry (the decoder agrees), also at ring 3', async (t) => {
  const m = machine();
  let checked = 0;
  for (const d of ISA) {
    const words = encode({ def: d, operands: sampleOperands(d) });
    const rsv = reservedBits(d.operands);
    for (let bit = 0; bit < 32; bit++) {
      const mask = (1 << bit) | 0;
      if (!(rsv & mask)) continue;
      const w = [words[0]! | mask, ...words.slice(1)];
      const dec = decode(w[0]!, (k) => w[k] ?? 0);
      if (dec.ok) t.fail(`${d.mnemonic} 0x${d.op.toString(16)} bit ${bit}: the decoder accepts it`);
      for (const ring of [0, 3] as const) {
        load(m, w);
        m.cpu.setPrivilege(0);
        m.cpu.eip = CODE;
        m.setRegs({ esp: STACK });
        m.cpu.setPrivilege(ring);
        const x = m.run(10);
        const tr = m.trap();
        if (x.reason !== 'hlt' || tr?.vector !== UD || tr.eip !== CODE) {
          t.fail(`${d.mnemonic} ${d.operands.join(',')} with bit ${bit} at ring ${ring}: ${JSON.stringify(x)} ${JSON.stringify(tr)}`);
        }
        checked++;
      }
    }
  }
  t.ok(checked > 500, `${checked} encodings with a reserved bit raise #UD`);
});

t.test('#GP: misaligned branch targets fault at the branch, with no side effects', async (t) => {
  const cases: [string, string, Record<string, number>?][] = [
    ['jmp rel', `jmp ${CODE + 0x42}`],
    ['jcc rel', `cmp eax, eax\nje ${CODE + 0x41}`],
    ['jmp r', 'jmp eax', { eax: CODE + 2 }],
    ['jmp m', 'jmp [ebx]', { ebx: DATA }],
    ['call rel', `call ${CODE + 0x43}`],
    ['call r', 'call eax', { eax: CODE + 1 }],
    ['call m', 'call [ebx]', { ebx: DATA }],
    ['ret', 'push ebx\nret', { ebx: CODE + 6 }],
  ];
  for (const [name, code, regs] of cases) {
    t.test(name, async (t) => {
      const m = machine();
      m.w32(DATA, CODE + 0x1e);
      m.code(`${code}\nhlt`);
      m.setRegs({ esp: STACK, ...regs });
      // The branch is the last line: everything before it is set-up.
      const setup = code.split('\n').slice(0, -1).join('\n');
      const branchAt = CODE + (setup ? asm(setup, CODE).length : 0);
      const tr = m.runToTrap();
      t.match(tr, { vector: GP, error: 0, eip: branchAt }, '#GP(0) at the branch');
      t.equal(tr.esp, name === 'ret' ? STACK - 4 : STACK, 'esp as before the branch');
    });
  }
  t.test('iret to a misaligned eip', async (t) => {
    const m = machine();
    m.w32(STACK - 16, CODE + 2); m.w32(STACK - 12, 0); m.w32(STACK - 8, 0); m.w32(STACK - 4, STACK);
    m.code('iret');
    m.setRegs({ esp: STACK - 16 });
    t.match(m.runToTrap(), { vector: GP, error: 0, eip: CODE, esp: STACK - 16 });
  });
  t.test('iret to a ring that is neither 0 nor 3', async (t) => {
    const m = machine();
    m.w32(STACK - 16, CODE); m.w32(STACK - 12, 1); m.w32(STACK - 8, 0); m.w32(STACK - 4, STACK);
    m.code('iret');
    m.setRegs({ esp: STACK - 16 });
    t.match(m.runToTrap(), { vector: GP, error: 0, eip: CODE });
  });
  t.test('a gate with a misaligned handler', async (t) => {
    const m = machine();
    m.gate(0x30, STUBS + 2);
    m.code('int 0x30');
    t.match(m.runToTrap(), { vector: GP, error: 0x30 * 8 + 2, eip: CODE });
  });
});

t.test('#GP(0) for every privileged entry at ring 3, with no effect', async (t) => {
  const privileged = ISA.filter((d) => d.privileged);
  t.ok(privileged.length >= 20, `${privileged.length} privileged entries`);
  for (const d of privileged) {
    const m = machine({ eflags: IF });
    load(m, encode({ def: d, operands: sampleOperands(d) }));
    m.w32(DATA, 0x1234); m.w32(DATA + 4, 0x5678);
    m.cpu.setPrivilege(3);
    const before = m.cpu.snapshot();
    const x = m.run(10);
    const tr = m.trap();
    if (x.reason !== 'hlt' || !tr || tr.vector !== GP || tr.error !== 0 || tr.eip !== CODE || tr.ring !== 3) {
      t.fail(`${d.mnemonic} ${d.operands.join(',')}: ${JSON.stringify(x)} ${JSON.stringify(tr)}`);
      continue;
    }
    t.equal(tr.eflags, before.eflags, `${d.mnemonic} ${d.operands.join(',')}: #GP(0), eflags untouched`);
    t.same([m.cpu.idtBase, m.cpu.cr0, m.cpu.cr3, m.cpu.ksp], [before.idtBase, before.cr0, before.cr3, before.ksp], 'system state untouched');
  }
  t.test('the same entries run at ring 0 without #GP', async (t) => {
    for (const d of privileged) {
      const m = machine();
      load(m, encode({ def: d, operands: sampleOperands(d) }));
      // iret needs a valid frame and lidt a sane table; both read from the stack/DATA.
      m.w32(STACK - 16, CODE + 0x100); m.w32(STACK - 8, 0); m.w32(STACK - 4, STACK);
      m.w32(DATA, IDT); m.w32(DATA + 4, 0x7ff);
      m.setRegs({ esp: STACK - 16 });
      m.run(1);
      const tr = m.trap();
      t.notOk(tr && tr.vector === GP, `${d.mnemonic} ${d.operands.join(',')}`);
    }
  });
});

t.test('ring 3 → ring 0 on ksp through a DPL 3 gate, and iret back', async (t) => {
  const m = new Machine();
  m.setIdtr();
  const handler = 0x3000;
  m.gate(0x80, handler, { dpl: 3 });
  // The handler records its stack and the frame, bumps the caller's eax and returns.
  m.code(`
    mov [${DATA}], esp
    mov eax, [esp + 4]
    mov [${DATA + 4}], eax
    mov eax, 0x99
    sksp ebx
    add esp, 4
    iret`, handler);
  m.code(`
    mov eax, 1
    mov ecx, 2
    int 0x80
    vmcall
    cli`);
  m.setEflags(IF | EFLAGS.ZF);
  m.setRegs({ esp: 0x7e000 });
  m.cpu.setPrivilege(3);
  t.same(m.run(), { reason: 'vmcall', cpl: 3 }, 'back at ring 3');
  t.equal(m.r32(DATA), KSTACK - 20, 'the handler ran on the kernel stack');
  t.equal(m.r32(DATA + 4), CODE + 20, 'the frame held the next instruction');
  t.equal(m.reg('eax'), 0x99, 'registers are not saved by the CPU');
  t.equal(m.reg('ebx'), KSTACK);
  t.equal(m.reg('esp'), 0x7e000, 'user esp restored');
  t.equal(m.cpu.cpl, 3);
  t.ok(m.eflags & IF, 'IF restored');
  t.ok(m.eflags & EFLAGS.ZF, 'flags restored');
  t.equal(m.cpu.ksp, KSTACK, 'ksp itself does not move');
  m.setIdtr(IDT, 0x7ff);
  m.installTraps();
  m.gate(0x80, handler, { dpl: 3 });
  t.match(m.runToTrap(), { vector: GP, error: 0, ring: 3 }, 'still ring 3: cli faults');
});

t.test('int n through a DPL 0 gate from ring 3 → #GP(n*8+2)', async (t) => {
  const m = machine({ ring3: true });
  m.code('int 0x80');
  t.match(m.runToTrap(), { vector: GP, error: 0x80 * 8 + 2, eip: CODE, ring: 3 });
  const m0 = machine();
  m0.code('int 0x80');
  t.match(m0.runToTrap(), { vector: 0x80, eip: CODE + 4, ring: 0 }, 'ring 0 may use it');
});

t.test('missing gates and the IDT limit', async (t) => {
  t.test('int n with a not-present gate → #GP(n*8+2)', async (t) => {
    const m = machine({ except: [0x50] });
    m.code('int 0x50');
    t.match(m.runToTrap(), { vector: GP, error: 0x50 * 8 + 2, eip: CODE });
  });
  t.test('int n beyond the IDT limit → #GP(n*8+2)', async (t) => {
    const m = new Machine();
    m.installTraps({ limit: 0x50 * 8 - 1 });
    m.code('int 0x50\nint 0x4f');
    t.match(m.runToTrap(), { vector: GP, error: 0x50 * 8 + 2, eip: CODE });
    m.cpu.eip = CODE + 4;
    m.setRegs({ esp: STACK });
    t.match(m.runToTrap(), { vector: 0x4f }, 'the last gate inside the limit works');
  });
  t.test('int n with the gate and the #GP gate missing → #DF', async (t) => {
    const m = machine({ except: [0x50, GP] });
    m.code('int 0x50');
    t.match(m.runToTrap(), { vector: DF, error: 0, eip: CODE });
  });
  t.test('an exception without a gate → #DF; without a #DF gate either → triple fault', async (t) => {
    const m = machine({ except: [UD] });
    m.code('ud2');
    t.match(m.runToTrap(), { vector: DF, eip: CODE });
    const m2 = machine({ except: [UD, DF] });
    m2.code('ud2');
    t.same(m2.run(), { reason: 'shutdown', cause: 'triple fault' });
    t.ok(m2.cpu.isShutdown);
    t.same(m2.run(), { reason: 'shutdown', cause: 'triple fault' }, 'stays shut down');
    t.notOk(m2.cpu.interruptible);
  });
  t.test('no IDT at all → triple fault', async (t) => {
    const m = new Machine();
    m.code('ud2');
    t.same(m.run(), { reason: 'shutdown', cause: 'triple fault' });
  });
  t.test('a kernel stack that cannot take the frame → #DF → triple fault', async (t) => {
    const m = machine({ ring3: false });
    m.paging();
    m.pt!.unmap(KSTACK - 4);
    m.cpu.setPrivilege(3);
    m.code('ud2');
    t.same(m.run(), { reason: 'shutdown', cause: 'triple fault' });
  });
  t.test('a #PF during delivery becomes #DF (frame on a fresh stack page)', async (t) => {
    // Gate 6 sits on a page that is not mapped and gate 8 on the next one, which is.
    const m = new Machine();
    m.installTraps();
    m.paging();
    // Move the IDT so that gates 0..255 span two pages: gate 6 on the first, gate 8 on the second.
    const base = 0x5000 - 7 * 8;
    for (let v = 0; v < 256; v++) m.gate(v, STUBS + 4 * v, {}, base);
    m.setIdtr(base, 0x7ff);
    m.pt!.unmap(0x4000);
    m.code('ud2');
    t.match(m.runToTrap(), { vector: DF, eip: CODE });
    t.equal(m.cpu.cr2 >>> 0, base + 6 * 8, 'CR2 names the unreadable gate');
  });
});

t.test('external interrupts', async (t) => {
  t.test('injected between instructions, frame returns to the next one', async (t) => {
    const m = machine({ eflags: IF });
    m.code('nop\nnop\nhlt');
    t.same(m.run(1), { reason: 'preemption' });
    t.ok(m.cpu.interruptible);
    m.cpu.injectInterrupt(0x20);
    t.equal(m.cpu.eip, STUBS + 4 * 0x20);
    t.match(m.runToTrap(), { vector: 0x20, error: 0, eip: CODE + 4, ring: 0 });
    t.notOk(m.eflags & IF, 'IF cleared by the interrupt gate');
    t.notOk(m.cpu.interruptible);
  });
  t.test('IF gates them', async (t) => {
    const m = machine({ eflags: 0 });
    m.code('nop\nsti\nnop\ncli\nhlt');
    t.notOk(m.cpu.interruptible, 'IF=0');
    m.run(2);
    t.notOk(m.cpu.interruptible, 'sti shadow');
    m.run(1);
    t.ok(m.cpu.interruptible, 'after the shadow');
    m.run(1);
    t.notOk(m.cpu.interruptible, 'after cli');
  });
  t.test('injected at ring 3: frame on ksp, any gate DPL', async (t) => {
    const m = machine({ eflags: IF, ring3: true });
    m.code('nop\nnop');
    m.run(1);
    m.cpu.injectInterrupt(0x21);
    t.match(m.runToTrap(), { vector: 0x21, eip: CODE + 4, ring: 3, esp: STACK, frame: KSTACK - 20 });
  });
  t.test('injected after hlt: returns after the hlt', async (t) => {
    const m = machine({ eflags: IF });
    m.code('hlt\nmov eax, 1\nhlt');
    t.same(m.run(), { reason: 'hlt' });
    m.cpu.injectInterrupt(0x22);
    t.match(m.runToTrap(), { vector: 0x22, eip: CODE + 4 });
  });
  t.test('injected without a gate → #DF; without #DF → shutdown', async (t) => {
    const m = machine({ eflags: IF, except: [0x23] });
    m.code('nop');
    m.cpu.injectInterrupt(0x23);
    t.match(m.runToTrap(), { vector: DF, eip: CODE });
    const m2 = machine({ eflags: IF, except: [0x23, DF] });
    m2.code('nop');
    m2.cpu.injectInterrupt(0x23);
    t.ok(m2.cpu.isShutdown);
    t.same(m2.run(), { reason: 'shutdown', cause: 'triple fault' });
  });
  t.test('sti; hlt with an interrupt pending: the hlt exit happens (no lost wakeup)', async (t) => {
    const m = machine({ eflags: 0 });
    m.code('sti\nhlt\nmov eax, 1\nhlt');
    m.cpu.wantInterruptWindow = true;
    t.same(m.run(), { reason: 'hlt' }, 'hlt, not interrupt-window between sti and hlt');
    t.equal(m.cpu.eip, CODE + 8);
    t.ok(m.cpu.interruptible, 'interruptible once halted');
    m.cpu.wantInterruptWindow = false;
    m.cpu.injectInterrupt(0x20);
    t.match(m.runToTrap(), { vector: 0x20, eip: CODE + 8 }, 'the interrupt wakes the hlt');
  });
  t.test('the sti shadow survives a preemption', async (t) => {
    const m = machine({ eflags: 0 });
    m.code('sti\nnop\nnop\nhlt');
    m.cpu.wantInterruptWindow = true;
    t.same(m.run(1), { reason: 'preemption' });
    t.notOk(m.cpu.interruptible, 'still in the shadow');
    t.same(m.run(), { reason: 'interrupt-window' });
    t.equal(m.cpu.eip, CODE + 8, 'after the instruction in the shadow');
  });
});

t.test('interrupt-window exits', async (t) => {
  t.test('after sti (and the instruction in its shadow)', async (t) => {
    const m = machine({ eflags: 0 });
    m.code('sti\nnop\nnop\nhlt');
    m.cpu.wantInterruptWindow = true;
    t.same(m.run(), { reason: 'interrupt-window' });
    t.equal(m.cpu.eip, CODE + 8);
    t.ok(m.cpu.interruptible);
  });
  t.test('after popf sets IF', async (t) => {
    const m = machine({ eflags: 0 });
    m.code(`push ${IF}\npopf\nnop\nhlt`);
    m.cpu.wantInterruptWindow = true;
    t.same(m.run(), { reason: 'interrupt-window' });
    t.equal(m.cpu.eip, CODE + 12);
    t.ok(m.cpu.interruptible);
  });
  t.test('after iret restores IF', async (t) => {
    const m = machine({ eflags: 0 });
    m.w32(STACK - 16, CODE + 0x40); m.w32(STACK - 12, 0); m.w32(STACK - 8, IF); m.w32(STACK - 4, STACK);
    m.code('iret\n.org ' + (CODE + 0x40) + '\nnop\nhlt');
    m.setRegs({ esp: STACK - 16 });
    m.cpu.wantInterruptWindow = true;
    t.same(m.run(), { reason: 'interrupt-window' });
    t.equal(m.cpu.eip, CODE + 0x40);
  });
  t.test('not when nobody asked', async (t) => {
    const m = machine({ eflags: 0 });
    m.code(`sti\npush ${IF}\npopf\nhlt`);
    t.same(m.run(), { reason: 'hlt' });
  });
  t.test('not when popf at ring 3 cannot set IF', async (t) => {
    const m = machine({ eflags: 0, ring3: true });
    m.code(`push ${IF}\npopf\nnop\nvmcall`);
    m.cpu.wantInterruptWindow = true;
    t.same(m.run(), { reason: 'vmcall', cpl: 3 });
  });
});

t.test('io exits', async (t) => {
  const m = machine();
  m.code('mov eax, 0xabcdef12\noutd 0x80, eax\noutw edx, eax\ninb ecx, 0x64\ninw esi, edx\nhlt');
  m.setRegs({ edx: 0x1f0 });
  t.same(m.run(), { reason: 'io', port: 0x80, size: 4, write: true, value: 0xabcdef12 });
  t.same(m.run(), { reason: 'io', port: 0x1f0, size: 2, write: true, value: 0xef12 });
  t.same(m.run(), { reason: 'io', port: 0x64, size: 1, write: false, value: 0 });
  t.throws(() => m.run(), /not completed/, 'an in must be completed before re-entry');
  m.cpu.completeIo(0x3c5);
  t.equal(m.reg('ecx'), 0xc5);
  t.same(m.run(), { reason: 'io', port: 0x1f0, size: 2, write: false, value: 0 });
  m.cpu.completeIo(0xffffffff);
  t.same(m.run(), { reason: 'hlt' });
  t.equal(m.reg('esi'), 0xffff);
  t.throws(() => m.cpu.completeIo(1), /not an io read/);
});

t.test('mmio exits: restart and replay', async (t) => {
  t.test('reads of each size restart the instruction, which then takes the answer', async (t) => {
    const m = machine();
    m.code(`mov eax, [${MMIO}]\nmovzxw ebx, [${MMIO + 2}]\nmovsxb ecx, [esi]\nhlt`);
    m.setRegs({ esi: MMIO + 7 });
    t.same(m.run(), { reason: 'mmio', address: MMIO, size: 4, write: false, value: 0 });
    t.equal(m.cpu.eip, CODE, 'eip still at the load');
    m.cpu.completeMmioRead(0x12345678);
    t.same(m.run(), { reason: 'mmio', address: MMIO + 2, size: 2, write: false, value: 0 });
    t.equal(m.reg('eax'), 0x12345678);
    m.cpu.completeMmioRead(0x1fffe);
    t.same(m.run(), { reason: 'mmio', address: MMIO + 7, size: 1, write: false, value: 0 });
    t.equal(m.reg('ebx'), 0xfffe, 'answer cut to the access size');
    m.cpu.completeMmioRead(0x80);
    t.same(m.run(), { reason: 'hlt' });
    t.equal(m.reg('ecx'), 0xffffff80);
  });
  t.test('an unsigned answer behaves like the loaded 32-bit value in arithmetic', async (t) => {
    const m = machine();
    m.code(`cmp eax, [${MMIO}]\nsetl ebx\nsetb ecx\nimul eax, [${MMIO}]\nhlt`);
    m.setRegs({ eax: 0 });
    t.equal(m.run().reason, 'mmio');
    m.cpu.completeMmioRead(0xffffffff);
    t.equal(m.run().reason, 'mmio');
    t.equal(m.reg('ebx'), 0, '0 < -1 is false (signed)');
    t.equal(m.reg('ecx'), 1, '0 < 0xffffffff (unsigned)');
    m.setRegs({ eax: 3 });
    m.cpu.completeMmioRead(0xffffffff);
    t.same(m.run(), { reason: 'hlt' });
    t.equal(m.reg('eax'), 0xfffffffd);
    t.notOk(m.eflags & EFLAGS.OF, '3 × -1 does not overflow');
  });
  t.test('writes exit once, with the value, and are not repeated on restart', async (t) => {
    const m = machine();
    m.code(`mov [${MMIO + 0x10}], ebx\nmovb [${MMIO + 0x13}], 0x1ab\nmovw [${MMIO + 0x14}], ebx\nhlt`);
    m.setRegs({ ebx: 0xdeadbeef });
    t.same(m.run(), { reason: 'mmio', address: MMIO + 0x10, size: 4, write: true, value: 0xdeadbeef });
    t.equal(m.cpu.eip, CODE);
    t.same(m.run(), { reason: 'mmio', address: MMIO + 0x13, size: 1, write: true, value: 0xab });
    t.equal(m.cpu.eip, CODE + 8, 'the first store completed');
    t.same(m.run(), { reason: 'mmio', address: MMIO + 0x14, size: 2, write: true, value: 0xbeef });
    t.same(m.run(), { reason: 'hlt' });
  });
  t.test('no interrupt is injectable while an mmio instruction waits to be restarted', async (t) => {
    const m = machine({ eflags: IF });
    m.code(`mov [${MMIO}], eax\nmov ebx, [${MMIO}]\nhlt`);
    m.run();
    t.notOk(m.cpu.interruptible, 'write pending replay');
    m.cpu.wantInterruptWindow = true;
    t.same(m.run(), { reason: 'interrupt-window' }, 'the window opens once the store retires');
    t.ok(m.cpu.interruptible);
    m.cpu.wantInterruptWindow = false;
    t.equal(m.run().reason, 'mmio');
    m.cpu.completeMmioRead(5);
    t.notOk(m.cpu.interruptible, 'read answer pending');
    t.same(m.run(), { reason: 'hlt' });
    t.equal(m.reg('ebx'), 5);
  });
  t.test('an access split over two MMIO pages exits per byte and completes', async (t) => {
    const m = machine();
    m.paging();
    const V = 0x40000000;
    m.pt!.map(V, MMIO);
    m.pt!.map(V + 0x1000, MMIO + 0x5000);
    m.code(`mov eax, [${V + 0xffe}]\nhlt`);
    const answers = [0x11, 0x22, 0x33, 0x44];
    const addrs = [MMIO + 0xffe, MMIO + 0xfff, MMIO + 0x5000, MMIO + 0x5001];
    for (let k = 0; k < 4; k++) {
      t.same(m.run(), { reason: 'mmio', address: addrs[k], size: 1, write: false, value: 0 }, `byte ${k}`);
      m.cpu.completeMmioRead(answers[k]!);
    }
    t.same(m.run(), { reason: 'hlt' });
    t.equal(m.reg('eax'), 0x44332211);
  });
  t.test('a store split between RAM and MMIO writes each MMIO byte once', async (t) => {
    const m = machine();
    m.paging();
    const V = 0x40000000;
    m.pt!.map(V, DATA);
    m.pt!.map(V + 0x1000, MMIO);
    m.code(`mov [${V + 0xffe}], eax\nhlt`);
    m.setRegs({ eax: 0x44332211 });
    const exits = [];
    for (let k = 0; k < 5; k++) {
      const x = m.run();
      exits.push(x);
      if (x.reason === 'hlt') break;
    }
    t.same(exits, [
      { reason: 'mmio', address: MMIO, size: 1, write: true, value: 0x33 },
      { reason: 'mmio', address: MMIO + 1, size: 1, write: true, value: 0x44 },
      { reason: 'hlt' },
    ]);
    t.equal(m.r16(DATA + 0xffe), 0x2211);
  });
  t.test('a fault in the restarted instruction drops the replay', async (t) => {
    const m = machine();
    m.paging();
    const V = 0x40000000;
    m.pt!.map(V, MMIO);
    // Second half not mapped: byte 2 faults after bytes 0 and 1 were answered.
    m.code(`mov eax, [${V + 0xffe}]\nhlt`);
    m.run(); m.cpu.completeMmioRead(1);
    m.run(); m.cpu.completeMmioRead(2);
    t.match(m.runToTrap(), { vector: PFV, eip: CODE });
    m.code(`mov ebx, [${V + 0x100}]\nhlt`, CODE + 0x40);
    m.cpu.eip = CODE + 0x40;
    t.same(m.run(), { reason: 'mmio', address: MMIO + 0x100, size: 4, write: false, value: 0 }, 'the next load exits: nothing left to replay');
  });
  t.test('ROM: reads come from the image, writes are mmio exits', async (t) => {
    const m = machine();
    m.mem.writeRom(0xffff0000, new Uint8Array([1, 2, 3, 4]));
    m.code('mov eax, [0xffff0000]\nmov [0xffff0000], ebx\nhlt');
    m.setRegs({ ebx: 7 });
    t.same(m.run(), { reason: 'mmio', address: 0xffff0000, size: 4, write: true, value: 7 });
    t.equal(m.reg('eax'), 0x04030201);
    t.same(m.run(), { reason: 'hlt' });
    t.equal(m.mem.rom[0], 1, 'ROM unchanged');
  });
});

t.test('execution starts at the reset vector in ROM', async (t) => {
  const m = new Machine();
  m.cpu.eip = RESET_VECTOR;
  m.mem.writeRom(RESET_VECTOR, asm('mov eax, 5\nhlt', RESET_VECTOR));
  t.same(m.run(), { reason: 'hlt' });
  t.equal(m.reg('eax'), 5);
});

t.test('fetching from unbacked memory shuts the VM down', async (t) => {
  const m = new Machine();
  m.code(`jmp ${MMIO}`);
  const x = m.run();
  t.equal(x.reason, 'shutdown');
  t.match(x, { cause: /instruction fetch/ });
});

t.test('hlt, vmcall, cpuid exits and re-entry after them', async (t) => {
  const m = machine();
  m.code('hlt\nvmcall\nmov eax, 0x80000001\ncpuid\nmov ebx, 1\nhlt');
  t.same(m.run(), { reason: 'hlt' });
  t.equal(m.cpu.eip, CODE + 4);
  t.same(m.run(), { reason: 'vmcall', cpl: 0 });
  t.same(m.run(), { reason: 'cpuid', leaf: 0x80000001 });
  m.setRegs({ eax: 1, ebx: 2, ecx: 3, edx: 4 }); // the VMM answers in the registers
  t.same(m.run(), { reason: 'hlt' });
  t.equal(m.reg('ebx'), 1);
  const u = machine({ ring3: true });
  u.code('vmcall');
  t.same(u.run(), { reason: 'vmcall', cpl: 3 }, 'vmcall at ring 3 exits with cpl 3');
});

t.test('preemption when the budget runs out', async (t) => {
  const m = machine();
  m.code('loop: inc eax\njmp loop');
  m.setRegs({ eax: 0 });
  t.same(m.run(1000), { reason: 'preemption' });
  t.equal(m.cpu.retired, 1000);
  t.equal(m.reg('eax'), 500);
  t.same(m.run(1), { reason: 'preemption' });
  t.equal(m.reg('eax'), 501);
  t.same(m.run(0), { reason: 'preemption' }, 'a zero budget runs nothing');
  t.equal(m.cpu.retired, 1001);
  t.test('faults consume budget: a fault loop still preempts', async (t) => {
    const f = new Machine();
    f.installTraps();
    f.gate(UD, CODE); // the #UD handler is the ud2 itself
    f.code('ud2');
    t.same(f.run(50), { reason: 'preemption' });
  });
});

t.test('rdtsc counts virtual cycles from the VMM-set base', async (t) => {
  const m = machine();
  m.code('rdtsc\nmov ebx, eax\nnop\nnop\nrdtsc\nhlt');
  m.cpu.tsc = 5000;
  m.cpu.cpi = 3;
  t.same(m.run(), { reason: 'hlt' });
  t.equal(m.reg('ebx'), 5000);
  t.equal(m.reg('eax'), 5000 + 4 * 3);
  t.equal(m.reg('edx'), 0);
});

t.test('an IDT beyond RAM shuts the VM down', async (t) => {
  const m = new Machine();
  m.setIdtr(0x7ff00000, 0x7ff);
  m.code('ud2');
  const x = m.run();
  t.equal(x.reason, 'shutdown');
});

t.test('delivery is a supervisor access: IDT, handler and frame need no U/S or R/W', async (t) => {
  const m = machine({ ring3: true });
  m.paging();
  m.pt!.map(STUBS, STUBS, PTE.P | PTE.RW);
  m.pt!.map(KSTACK - 0x1000, KSTACK - 0x1000, PTE.P | PTE.RW);
  m.pt!.map(IDT, IDT, PTE.P);
  m.code('ud2');
  t.match(m.runToTrap(), { vector: UD, ring: 3 });
});
