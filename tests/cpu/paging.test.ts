/**
 * Paging: two-level translation, the TLB (stale until invlpg or a CR3 write), accessed and dirty
 * bits, #PF error codes and CR2, accesses and instructions that cross a page boundary.
 */
import t, { type Test } from 'tap';
import { CODE, CR0_PG, CR0_WP, DATA, KSTACK, Machine, PF, PTE, STACK, asm, type Trap } from './harness.js';


const RW = PTE.P | PTE.RW | PTE.US;
/** A virtual window far from the identity map, so that translations are visible. */
const V = 0x40000000;
const P1 = 0x50000, P2 = 0x53000;

function machine(opts: { wp?: boolean; ring3?: boolean } = {}): Machine {
  const m = new Machine();
  m.installTraps();
  m.paging({ wp: opts.wp });
  if (opts.ring3) m.cpu.setPrivilege(3);
  return m;
}

function expectPf(t: Test, m: Machine, error: number, cr2: number, eip: number, msg = ''): Trap | undefined {
  const exit = m.run(1000);
  t.same(exit, { reason: 'hlt' }, `${msg} stops in a handler`);
  const tr = m.trap();
  t.match(tr, { vector: 14, error, eip }, `${msg} #PF error 0x${error.toString(16)} at 0x${eip.toString(16)}`);
  t.equal(m.cpu.cr2 >>> 0, cr2 >>> 0, `${msg} CR2`);
  return tr;
}

t.test('translation goes through both levels', async (t) => {
  const m = machine();
  m.pt!.map(V, P1);
  m.pt!.map(V + 0x1000, P2);
  m.w32(P1 + 0x10, 0x11223344);
  m.code(`mov eax, [${V + 0x10}]\nmov [${V + 0x1004}], eax\nmov ebx, ${V + 0x1000}\nmov ecx, [ebx + 4]\nhlt`);
  t.same(m.run(), { reason: 'hlt' });
  t.equal(m.reg('eax'), 0x11223344);
  t.equal(m.r32(P2 + 4), 0x11223344, 'the store went to the second frame');
  t.equal(m.reg('ecx'), 0x11223344);
  t.equal(m.pt!.pde(V) & ~0xfff, m.pt!.pteAddr(V) & ~0xfff, 'a page table of its own');
});

t.test('code runs at a translated address', async (t) => {
  const m = machine();
  m.pt!.map(V, P1);
  m.code('mov eax, 7\ncall f\nhlt\nf: mov ebx, [esp]\nret', V, P1);
  m.cpu.eip = V;
  t.same(m.run(), { reason: 'hlt' });
  t.equal(m.reg('eax'), 7);
  t.equal(m.reg('ebx'), V + 16, 'return address is virtual');
  t.equal(m.cpu.eip, V + 20);
});

t.test('a PDE with bit 7 (4 MiB pages on x86) still points to a page table', async (t) => {
  const m = machine();
  m.pt!.map(V, P1);
  m.pt!.setPde(V, m.pt!.pde(V) | 0x80);
  m.w32(P1, 0x55);
  m.code(`mov eax, [${V}]\nhlt`);
  t.same(m.run(), { reason: 'hlt' });
  t.equal(m.reg('eax'), 0x55);
});

t.test('page-table walks that leave RAM read as not present', async (t) => {
  const m = machine();
  m.pt!.setPde(V, 0x7ff00000 | RW); // a page table beyond the 1 MiB of RAM
  m.code(`mov eax, [${V + 8}]\nhlt`);
  expectPf(t, m, 0, V + 8, CODE);
  // With CR3 beyond RAM nothing translates, not even the IDT: the fetch fault cannot be delivered.
  const m2 = machine();
  m2.code('nop\nhlt');
  m2.cpu.writeCr(3, 0x200000);
  t.same(m2.run(), { reason: 'shutdown', cause: 'triple fault' });
});

t.test('TLB: a PTE change is not seen until invlpg, and is after', async (t) => {
  const m = machine();
  m.pt!.map(V, P1);
  const pte = m.pt!.pteAddr(V);
  m.w32(P1, 0xaaaa);
  m.w32(P2, 0xbbbb);
  m.code(`
    mov eax, [${V}]
    mov [${pte}], ${P2 | RW}
    mov ebx, [${V}]
    invlpg [${V + 0x800}]
    mov ecx, [${V}]
    hlt`);
  t.same(m.run(), { reason: 'hlt' });
  t.equal(m.reg('eax'), 0xaaaa);
  t.equal(m.reg('ebx'), 0xaaaa, 'stale translation before invlpg');
  t.equal(m.reg('ecx'), 0xbbbb, 'new translation after invlpg');
});

t.test('TLB: a CR3 write flushes it', async (t) => {
  const m = machine();
  m.pt!.map(V, P1);
  const pte = m.pt!.pteAddr(V);
  m.w32(P1, 0xaaaa);
  m.w32(P2, 0xbbbb);
  m.code(`
    mov eax, [${V}]
    mov [${pte}], ${P2 | RW}
    mov ebx, [${V}]
    mov edx, cr3
    mov cr3, edx
    mov ecx, [${V}]
    hlt`);
  t.same(m.run(), { reason: 'hlt' });
  t.same([m.reg('eax'), m.reg('ebx'), m.reg('ecx')], [0xaaaa, 0xaaaa, 0xbbbb]);
});

t.test('TLB: an unmapped page stays usable until invlpg, then faults', async (t) => {
  const m = machine();
  m.pt!.map(V, P1);
  const pte = m.pt!.pteAddr(V);
  m.code(`
    mov [${V}], 1
    mov [${pte}], 0
    mov [${V} + 4], 2
    mov eax, [${V}]
    invlpg [${V}]
    mov ebx, [${V}]
    hlt`);
  expectPf(t, m, 0, V, CODE + 52);
  t.equal(m.reg('eax'), 1);
  t.equal(m.r32(P1 + 4), 2, 'the write through the stale entry landed');
});

t.test('TLB: a page made read-only faults on write only after invlpg (ring 3)', async (t) => {
  const m = machine({ ring3: false });
  m.pt!.map(V, P1);
  const pte = m.pt!.pteAddr(V);
  // The ring 3 code cannot reach the page tables: ring 0 sets up, then irets to ring 3.
  m.w32(STACK - 16, CODE + 0x100); m.w32(STACK - 12, 3); m.w32(STACK - 8, 0); m.w32(STACK - 4, STACK);
  m.code(`
    mov esp, ${STACK - 16}
    iret
    .org ${CODE + 0x100}
    mov [${V}], 1
    vmcall
    mov [${V}], 2
    vmcall
    mov [${V}], 3
    hlt`);
  t.same(m.run(), { reason: 'vmcall', cpl: 3 }, 'first write at ring 3 fills the user TLB');
  m.w32(pte, P1 | PTE.P | PTE.US | PTE.A | PTE.D);
  t.same(m.run(), { reason: 'vmcall', cpl: 3 }, 'stale writable entry');
  t.equal(m.r32(P1), 2);
  m.cpu.invlpg(V);
  expectPf(t, m, PF.P | PF.W | PF.U, V, CODE + 0x100 + 32);
  t.equal(m.r32(P1), 2, 'the faulting write wrote nothing');
});

t.test('TLB: a remapped code page is fetched anew after invlpg', async (t) => {
  const m = machine();
  m.pt!.map(V, P1);
  const pte = m.pt!.pteAddr(V);
  // The same code at both frames, except for the value loaded after the switch.
  const src = (v: number) => `mov [${pte}], ${P2 | RW}\ninvlpg [${V}]\nmov eax, ${v}\nhlt`;
  m.code(src(1), V, P1);
  m.code(src(2), V, P2);
  m.cpu.eip = V;
  t.same(m.run(), { reason: 'hlt' });
  t.equal(m.reg('eax'), 2, 'instructions after invlpg come from the new frame');
});

t.test('accessed and dirty bits', async (t) => {
  const m = machine();
  m.pt!.map(V, P1);
  m.pt!.map(V + 0x1000, P2);
  m.code(`mov eax, [${V}]\nhlt\nmov [${V}], eax\nhlt\nmov [${V + 0x1000}], eax\nhlt`);
  t.equal(m.pt!.pte(V) & (PTE.A | PTE.D), 0, 'clear before');
  t.same(m.run(), { reason: 'hlt' });
  t.equal(m.pt!.pte(V) & (PTE.A | PTE.D), PTE.A, 'a read sets A only');
  t.ok(m.pt!.pde(V) & PTE.A, 'and the PDE A');
  t.same(m.run(), { reason: 'hlt' });
  t.equal(m.pt!.pte(V) & (PTE.A | PTE.D), PTE.A | PTE.D, 'a write after a read (TLB hit for reads) sets D');
  t.same(m.run(), { reason: 'hlt' });
  t.equal(m.pt!.pte(V + 0x1000) & (PTE.A | PTE.D), PTE.A | PTE.D, 'a first write sets A and D');
  t.ok(m.pt!.pte(CODE) & PTE.A, 'instruction fetch sets A');
  t.notOk(m.pt!.pte(CODE) & PTE.D, 'but not D');
});

t.test('#PF error codes and CR2', async (t) => {
  t.test('not present, read at ring 0 (PTE)', async (t) => {
    const m = machine();
    m.pt!.unmap(DATA);
    m.code(`mov eax, [${DATA + 0x123}]\nhlt`);
    expectPf(t, m, 0, DATA + 0x123, CODE);
  });
  t.test('not present, write at ring 0 (PDE)', async (t) => {
    const m = machine();
    m.code(`mov [${V + 0x10}], eax\nhlt`);
    expectPf(t, m, PF.W, V + 0x10, CODE);
  });
  t.test('not present, read at ring 3', async (t) => {
    const m = machine({ ring3: true });
    m.pt!.unmap(DATA);
    m.code(`nop\nmovzxb eax, [${DATA + 5}]\nhlt`);
    const tr = expectPf(t, m, PF.U, DATA + 5, CODE + 4);
    t.equal(tr?.ring, 3);
    t.equal(tr?.frame, KSTACK - 20, 'frame on the kernel stack');
  });
  t.test('write to a read-only page at ring 3', async (t) => {
    const m = machine({ ring3: true });
    m.pt!.map(DATA, DATA, PTE.P | PTE.US);
    m.code(`mov eax, [${DATA}]\nmovb [${DATA + 1}], eax\nhlt`);
    expectPf(t, m, PF.P | PF.W | PF.U, DATA + 1, CODE + 8);
  });
  t.test('write to a page read-only in the PDE only, at ring 3', async (t) => {
    const m = machine({ ring3: true });
    m.pt!.map(V, P1, RW);
    m.pt!.setPde(V, m.pt!.pde(V) & ~PTE.RW);
    m.code(`mov [${V}], 1\nhlt`);
    expectPf(t, m, PF.P | PF.W | PF.U, V, CODE);
  });
  t.test('ring 0 write to a read-only page with CR0.WP set faults', async (t) => {
    const m = machine({ wp: true });
    t.equal(m.cpu.cr0 >>> 0, (CR0_PG | CR0_WP) >>> 0);
    m.pt!.map(DATA, DATA, PTE.P);
    m.code(`movw [${DATA + 2}], eax\nhlt`);
    expectPf(t, m, PF.P | PF.W, DATA + 2, CODE);
  });
  t.test('ring 0 write to a read-only page with CR0.WP clear succeeds', async (t) => {
    const m = machine({ wp: false });
    m.pt!.map(DATA, DATA, PTE.P);
    m.code(`mov eax, 0x99\nmovw [${DATA + 2}], eax\nhlt`);
    t.same(m.run(), { reason: 'hlt' });
    t.notOk(m.trap());
    t.equal(m.r16(DATA + 2), 0x99);
    t.ok(m.pt!.pte(DATA) & PTE.D, 'D set');
  });
  t.test('ring 3 read of a supervisor page (PTE)', async (t) => {
    const m = machine({ ring3: true });
    m.pt!.map(DATA, DATA, PTE.P | PTE.RW);
    m.code(`mov eax, [${DATA}]\nhlt`);
    expectPf(t, m, PF.P | PF.U, DATA, CODE);
  });
  t.test('ring 3 write to a supervisor page (PDE)', async (t) => {
    const m = machine({ ring3: true });
    m.pt!.map(V, P1, RW);
    m.pt!.setPde(V, m.pt!.pde(V) & ~PTE.US);
    m.code(`mov [${V + 4}], eax\nhlt`);
    expectPf(t, m, PF.P | PF.W | PF.U, V + 4, CODE);
  });
  t.test('ring 0 may read and write user pages', async (t) => {
    const m = machine({ wp: true });
    m.code(`mov [${DATA}], 5\nmov eax, [${DATA}]\nhlt`);
    t.same(m.run(), { reason: 'hlt' });
    t.equal(m.reg('eax'), 5);
  });
  t.test('instruction fetch from a not-present page (ring 0)', async (t) => {
    const m = machine();
    m.code(`jmp ${V + 0x40}\nhlt`);
    expectPf(t, m, PF.I, V + 0x40, V + 0x40, 'the fault is at the target');
  });
  t.test('instruction fetch from a supervisor page at ring 3', async (t) => {
    const m = machine({ ring3: true });
    m.pt!.map(V, P1, PTE.P | PTE.RW);
    m.code('nop', V, P1);
    m.code(`jmp ${V}\nhlt`);
    expectPf(t, m, PF.P | PF.U | PF.I, V, V);
  });
  t.test('a stack push that faults leaves esp alone', async (t) => {
    const m = machine();
    m.pt!.unmap(STACK - 4);
    m.code('push 7\nhlt');
    m.setRegs({ esp: STACK });
    // The frame of the #PF itself must go somewhere mapped: a ring 3 push switches to ksp.
    m.cpu.setPrivilege(3);
    const tr = expectPf(t, m, PF.W | PF.U, STACK - 4, CODE);
    t.equal(tr?.esp, STACK, 'frame records the unchanged esp');
  });
});

t.test('unaligned accesses', async (t) => {
  t.test('within a page', async (t) => {
    const m = machine();
    m.pt!.map(V, P1);
    m.w32(P1 + 0x100, 0x44332211); m.w32(P1 + 0x104, 0x88776655);
    m.code(`mov eax, [${V + 0x103}]\nmovzxw ebx, [${V + 0x101}]\nmov [${V + 0x201}], eax\nhlt`);
    t.same(m.run(), { reason: 'hlt' });
    t.equal(m.reg('eax'), 0x77665544);
    t.equal(m.reg('ebx'), 0x3322);
    t.equal(m.r32(P1 + 0x200), 0x66554400);
    t.equal(m.r8(P1 + 0x204), 0x77);
  });
  t.test('across a page boundary, onto a frame that is not the next one', async (t) => {
    const m = machine();
    m.pt!.map(V, P1);
    m.pt!.map(V + 0x1000, P2);
    m.w32(P1 + 0xffc, 0x44332211); m.w32(P2, 0x88776655); m.w32(P1 + 0x1000, 0xeeeeeeee);
    m.code(`
      mov eax, [${V + 0xffe}]
      movsxw ebx, [${V + 0xfff}]
      mov ecx, 0xa1b2c3d4
      mov [${V + 0xffd}], ecx
      movw [${V + 0x2fff}], ecx
      hlt`);
    m.pt!.map(V + 0x2000, P1 + 0x1000);
    m.pt!.map(V + 0x3000, P2 + 0x1000);
    t.same(m.run(), { reason: 'hlt' });
    t.equal(m.reg('eax'), 0x66554433);
    t.equal(m.reg('ebx'), 0x5544);
    t.equal(m.r32(P1 + 0xffc), 0xb2c3d411, 'first page: three bytes');
    t.equal(m.r32(P2), 0x887766a1, 'second page: one byte');
    t.equal(m.r32(P1 + 0x1000), 0xeeeeeeee, 'the physically next frame is untouched');
    t.equal(m.r8(P1 + 0x1fff), 0xd4);
    t.equal(m.r8(P2 + 0x1000), 0xc3);
  });
  t.test('a store that faults on the second page writes nothing', async (t) => {
    const m = machine();
    m.pt!.map(V, P1);
    m.w32(P1 + 0xffc, 0x11111111);
    m.code(`mov eax, 0xffffffff\nmov [${V + 0xffe}], eax\nhlt`);
    expectPf(t, m, PF.W, V + 0x1000, CODE + 8);
    t.equal(m.r32(P1 + 0xffc), 0x11111111, 'first page unchanged');
  });
  t.test('a store that hits a read-only second page at ring 3 writes nothing', async (t) => {
    const m = machine({ ring3: true });
    m.pt!.map(V, P1);
    m.pt!.map(V + 0x1000, P2, PTE.P | PTE.US);
    m.code(`mov eax, 0xffffffff\nmovw [${V + 0xfff}], eax\nhlt`);
    expectPf(t, m, PF.P | PF.W | PF.U, V + 0x1000, CODE + 8);
    t.equal(m.r8(P1 + 0xfff), 0, 'first page unchanged');
  });
  t.test('a load that faults on the second page', async (t) => {
    const m = machine();
    m.pt!.map(V, P1);
    m.code(`mov ebx, 9\nmov ebx, [${V + 0xfff}]\nhlt`);
    expectPf(t, m, 0, V + 0x1000, CODE + 8);
    t.equal(m.reg('ebx'), 9, 'destination unchanged');
  });
});

t.test('an instruction that straddles a page boundary', async (t) => {
  t.test('executes with its words on two frames', async (t) => {
    const m = machine();
    m.pt!.map(V, P1);
    m.pt!.map(V + 0x1000, P2);
    // Instructions of 8 and 12 bytes placed so that their extension words fall on the next page.
    const code = `nop\nmov eax, 0x12345678\nmov [${DATA}], 0xcafe\nmov ebx, 5\nhlt`;
    const bytes = asm(`.org ${V + 0xff8}\n${code}`, V);
    m.load(P1, bytes.subarray(0, 0x1000));
    m.load(P2, bytes.subarray(0x1000));
    m.cpu.eip = V + 0xff8;
    t.same(m.run(), { reason: 'hlt' });
    t.equal(m.reg('eax'), 0x12345678);
    t.equal(m.r32(DATA), 0xcafe);
    t.equal(m.reg('ebx'), 5);
  });
  t.test('a fetch fault on the second page reports the instruction and the second page', async (t) => {
    const m = machine();
    m.pt!.map(V, P1);
    // The instruction's first word is the last word of the page; its imm32 would be on the next.
    m.code(`.org ${V + 0xffc}\nmov eax, 0x12345678`, V, P1);
    m.cpu.eip = V + 0xffc;
    expectPf(t, m, PF.I, V + 0x1000, V + 0xffc);
    t.equal(m.reg('eax'), 0, 'not executed');
  });
  t.test('a fetch fault on the second page at ring 3', async (t) => {
    const m = machine({ ring3: true });
    m.pt!.map(V, P1);
    m.pt!.map(V + 0x1000, P2, PTE.P | PTE.RW);
    m.code(`.org ${V + 0xff8}\nnop\nmov ecx, 1`, V, P1);
    m.cpu.eip = V + 0xff8;
    expectPf(t, m, PF.P | PF.U | PF.I, V + 0x1000, V + 0xffc);
  });
});

t.test('event delivery across a page boundary translates each page', async (t) => {
  t.test('a frame pushed on a misaligned stack that crosses pages', async (t) => {
    const m = machine();
    m.pt!.map(V, P1);
    m.pt!.map(V + 0x1000, P2);
    m.w32(P1 + 0x1000, 0xeeeeeeee);
    m.code('ud2');
    m.setRegs({ esp: V + 0x1002 });
    const tr = m.runToTrap();
    t.match(tr, { vector: 6, eip: CODE, esp: V + 0x1002, frame: V + 0x1002 - 20 });
    t.equal(m.r16(P2), (V + 0x1002) >>> 16, 'the old esp\'s high bytes went to the second page');
    t.equal(m.r32(P1 + 0x1000), 0xeeeeeeee, 'not to the physically next frame');
  });
  t.test('a frame push that faults on the second page writes nothing there and becomes #DF', async (t) => {
    const m = machine();
    m.pt!.map(V, P1);
    m.code('ud2');
    // The first dword pushed (old esp) straddles V+0x1000, which is not mapped.
    m.setRegs({ esp: V + 0x1002 });
    t.same(m.run(), { reason: 'shutdown', cause: 'triple fault' }, '#DF pushes to the same stack and faults too');
    t.equal(m.r16(P1 + 0xffe), 0, 'nothing written on the first page');
  });
  t.test('an IDT gate whose handler dword crosses a page boundary', async (t) => {
    const m = machine();
    const base = V + 0x1000 - 6 * 8 - 2; // gate 6's handler is at V+0xffe..V+0x1001
    m.pt!.map(V, P1);
    m.pt!.map(V + 0x1000, P2);
    m.w16(P1 + 0xffe, 0x2000 + 4 * 6);
    m.w16(P2, 0);
    m.w32(P2 + 2, 1); // present
    m.w32(P1 + 0x1000, 0xffffffff); // what an untranslated read would see
    m.setIdtr(base, 0x7ff);
    m.code('ud2');
    t.match(m.runToTrap(), { vector: 6, eip: CODE });
  });
});
