/**
 * Hypervisor-resident modules (docs/modules.md, docs/hypercalls.md): a module built from guest C
 * run in hypervisor context, a TypeScript module, and every way a call can be wrong.
 */
import t from 'tap';
import fc from 'fast-check';
import { MemoryBackend } from '../../devices/virtio/blk/backend.js';
import { bootRom } from '../../firmware/build.js';
import { buildModule } from '../../middleware/host/build.js';
import { createModule } from '../../middleware/host/examples/counter-module.js';
import { ImageModule } from '../../middleware/host/image-module.js';
import { parseModuleSpec } from '../../middleware/host/load.js';
import { ModuleRegistry } from '../../middleware/host/registry.js';
import { assemble } from '../../toolchain/as/assemble.js';
import { HC_ERR, HC_MODULE_CALL, HC_MODULE_OPEN, HC_VERSION } from '../../vmm/hypercalls.js';
import { loadProfile } from '../../vmm/profile.js';
import { Vm } from '../../vmm/vm.js';

const MODULE_C = `
#include <stdio.h>
#include <string.h>
#include <hostcall.h>

static int calls;
static unsigned char sector[512];

int module_init(void) { calls = 0; return 0; }

int module_call(unsigned op, const unsigned char *req, unsigned len, unsigned char *resp, unsigned cap) {
    unsigned i;
    calls++;
    if (op == 1) {                      /* reverse the request */
        if (len > cap) return -90;
        for (i = 0; i < len; i++) resp[i] = req[len - 1 - i];
        return (int)len;
    }
    if (op == 2) {                      /* how many calls so far: module state persists */
        memcpy(resp, &calls, 4);
        return 4;
    }
    if (op == 3) {                      /* write the request to sector 1 of the volume, durably */
        memset(sector, 0, sizeof sector);
        memcpy(sector, req, len < 512 ? len : 512);
        if ((int)__mx86_vmcall(HOST_BLK_WRITE, 1, (unsigned)sector, 1, 0, 0) != 1) return -5;
        return (int)__mx86_vmcall(HOST_BLK_FLUSH, 0, 0, 0, 0, 0);
    }
    if (op == 4) {                      /* read sector 1 back */
        if ((int)__mx86_vmcall(HOST_BLK_READ, 1, (unsigned)sector, 1, 0, 0) != 1) return -5;
        memcpy(resp, sector, cap < 512 ? cap : 512);
        return (int)(cap < 512 ? cap : 512);
    }
    if (op == 5) { volatile int z = 0; return 10 / z; }         /* #DE: no IDT, a module failure */
    if (op == 6) { for (;;) { } }                                /* runs past its budget */
    if (op == 7) { printf("module says %d\\n", 42); return 0; }
    if (op == 8) return (int)cap + 1;                            /* claims more than it may */
    if (op == 9) return (int)__mx86_vmcall(HOST_BLK_READ, 0, 0x7ffffff0, 1, 0, 0);  /* buffer outside */
    return -38;
}
`;

const profile = loadProfile('nehalem-2011');
const image = buildModule([{ path: 'test-module.c', text: MODULE_C }]);

function newModule(log?: (l: string) => void): { m: ImageModule; disk: MemoryBackend } {
  const disk = new MemoryBackend(64);
  const m = new ImageModule({ name: 'tm', image, profile, volume: disk, log, budget: 2_000_000 });
  return { m, disk };
}

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

t.test('an image module runs guest C in its own context and keeps state between calls', async (t) => {
  const { m } = newModule();
  const out = new Uint8Array(16);
  const r = m.call(1, bytes('abcdef'), out);
  t.equal(r.status, 6);
  t.equal(new TextDecoder().decode(out.subarray(0, 6)), 'fedcba');
  t.ok(r.cycles > 0, 'its instructions are charged');
  m.call(2, new Uint8Array(0), out);
  t.equal(new DataView(out.buffer).getInt32(0, true), 2, 'a static counter survived the first call');
});

t.test('host block I/O reaches the volume and is charged at the disk rate', async (t) => {
  const { m, disk } = newModule();
  const w = m.call(3, bytes('durable'), new Uint8Array(0));
  t.equal(w.status, 0);
  t.equal(new TextDecoder().decode(disk.data.subarray(512, 519)), 'durable');
  const minDisk = (profile.disk.latencyNsPerRequest * profile.cpuHz) / 1e9;
  t.ok(w.cycles >= 2 * minDisk, `a write and a flush cost at least two disk latencies (${w.cycles} cycles)`);
  const out = new Uint8Array(7);
  t.equal(m.call(4, new Uint8Array(0), out).status, 7);
  t.equal(new TextDecoder().decode(out), 'durable');
});

t.test('printf reaches the module log; bad host calls get errors, not crashes', async (t) => {
  const lines: string[] = [];
  const { m } = newModule((l) => lines.push(l));
  t.equal(m.call(7, new Uint8Array(0), new Uint8Array(0)).status, 0);
  t.same(lines, ['module says 42']);
  t.equal(m.call(9, new Uint8Array(0), new Uint8Array(0)).status, HC_ERR.EFAULT);
  t.equal(m.call(99, new Uint8Array(0), new Uint8Array(0)).status, HC_ERR.ENOSYS);
});

t.test('a faulting, runaway or lying module fails the call with -EIO and stays failed', async (t) => {
  for (const [op, why] of [[5, /fault|shut/], [6, /budget/], [8, /returned/]] as const) {
    const lines: string[] = [];
    const { m } = newModule((l) => lines.push(l));
    const r = m.call(op, new Uint8Array(0), new Uint8Array(4));
    t.equal(r.status, HC_ERR.EIO, `op ${op}`);
    t.match(m.failure ?? '', why);
    t.same(lines, [], 'the registry reports a failure (one line naming the module), not the module log');
    t.equal(m.call(1, bytes('x'), new Uint8Array(4)).status, HC_ERR.EIO, 'later calls fail too');
  }
});

/** A VM whose guest never runs: the registry is exercised through the hypercall table. */
function vmWithRegistry(): { vm: Vm; reg: ModuleRegistry } {
  const kernel = assemble('.text\n_start: hlt\n', { file: 'k.s' }).image;
  const vm = new Vm({ kernel, firmware: bootRom(), memSize: 4 << 20, profile });
  const reg = new ModuleRegistry(vm);
  return { vm, reg };
}

function hypercall(vm: Vm, nr: number, args: number[], cpl = 0): number {
  const regs = new Int32Array(8);
  regs[0] = nr;
  [regs[3], regs[1], regs[2], regs[6], regs[7]] = [0, 0, 0, 0, 0].map((z, i) => args[i] ?? z);
  vm.hypercalls.dispatch(regs, cpl);
  return regs[0];
}

t.test('the registry validates every argument before a module sees it', async (t) => {
  const { vm, reg } = vmWithRegistry();
  const { m } = newModule();
  reg.add(m);
  reg.add(createModule({ name: 'counter', options: {}, cpuHz: profile.cpuHz, cyclesPerInstruction: 1 }));
  const ram = vm.mem.ram;
  ram.set(bytes('counter'), 0x1000);
  ram.set(bytes('tm'), 0x1100);
  t.equal(hypercall(vm, HC_VERSION, []), 1);
  t.equal(hypercall(vm, HC_MODULE_OPEN, [0x1100, 2]), 0);
  t.equal(hypercall(vm, HC_MODULE_OPEN, [0x1000, 7]), 1);
  t.equal(hypercall(vm, HC_MODULE_OPEN, [0x1000, 6]), HC_ERR.ENOENT, 'a prefix is not a name');
  t.equal(hypercall(vm, HC_MODULE_OPEN, [0x1000, 0]), HC_ERR.EINVAL);
  t.equal(hypercall(vm, HC_MODULE_OPEN, [(4 << 20) - 2, 7]), HC_ERR.EFAULT, 'name runs off the end of RAM');
  t.equal(hypercall(vm, HC_MODULE_OPEN, [0x1000, 7], 3), HC_ERR.EPERM, 'ring 3 is refused');

  ram.set(bytes('hello'), 0x2000);
  t.equal(hypercall(vm, HC_MODULE_CALL, [(0 << 16) | 1, 0x2000, 5, 0x3000, 64]), 5);
  t.equal(new TextDecoder().decode(ram.subarray(0x3000, 0x3005)), 'olleh');
  t.equal(hypercall(vm, HC_MODULE_CALL, [(7 << 16) | 1, 0x2000, 5, 0x3000, 64]), HC_ERR.EINVAL, 'bad handle');
  t.equal(hypercall(vm, HC_MODULE_CALL, [1, 0xfffffff0, 32, 0x3000, 64]), HC_ERR.EFAULT, 'request outside RAM');
  t.equal(hypercall(vm, HC_MODULE_CALL, [1, 0x2000, 5, (4 << 20) - 8, 64]), HC_ERR.EFAULT, 'response outside RAM');
  t.equal(hypercall(vm, HC_MODULE_CALL, [1, 0x2000, 2 << 20, 0x3000, 64]), HC_ERR.EINVAL, 'request too long');
  t.equal(hypercall(vm, HC_MODULE_CALL, [1, 0x2000, 5, 0x3000, 4]), HC_ERR.EMSGSIZE, 'module refuses a short response');
  t.equal(hypercall(vm, HC_MODULE_CALL, [1, 0x2000, 5, 0x3000, 64], 3), HC_ERR.EPERM);
  t.equal(hypercall(vm, HC_MODULE_CALL, [(1 << 16) | 9, 0, 0, 0x3000, 4]), HC_ERR.ENOSYS, 'TS module: unknown op');
  t.equal(reg.stats.get('tm')!.calls, 5, 'calls that reached validation are counted per module');
});

t.test('a TypeScript module behind the registry: fast-check against a model', async (t) => {
  const { vm, reg } = vmWithRegistry();
  reg.add(createModule({ name: 'counter', options: {}, cpuHz: profile.cpuHz, cyclesPerInstruction: 1 }));
  const ram = vm.mem.ram;
  const dv = new DataView(ram.buffer);
  let run = 0;
  fc.assert(fc.property(fc.array(fc.tuple(fc.constantFrom('a', 'bb', 'ccc'), fc.integer({ min: -1000, max: 1000 })), { maxLength: 30 }), (ops) => {
    const model = new Map<string, number>();
    const fresh = `r${run++}:`;
    for (const [name, delta] of ops) {
      const key = fresh + name;
      const req = bytes(key);
      ram.set(req, 0x2000);
      dv.setInt32(0x2000 + req.length, delta, true);
      const n = hypercall(vm, HC_MODULE_CALL, [(0 << 16) | 1, 0x2000, req.length + 4, 0x3000, 4]);
      model.set(key, (model.get(key) ?? 0) + delta);
      if (n !== 4 || dv.getInt32(0x3000, true) !== model.get(key)) return false;
    }
    return true;
  }), { numRuns: 50 });
  t.pass('50 random sequences agreed with the model');
});

t.test('module specs parse, and mistakes get one-line errors', async (t) => {
  t.same(parseModuleSpec('db=out/db.img,disk=x.vol,mem=8388608'), { name: 'db', path: 'out/db.img', options: { disk: 'x.vol', mem: '8388608' } });
  t.throws(() => parseModuleSpec('db'), /name=path/);
  t.throws(() => parseModuleSpec('db='), /path/);
  t.throws(() => parseModuleSpec('db=x.img,disk'), /key=value/);
});

t.test('a guest reaches a module end to end through vmcall', async (t) => {
  // Ring 0 guest: open "tm", reverse "abc", power off with the three bytes of the answer.
  const src = `
.text
_start:
        mov eax, 1
        mov ebx, name
        mov ecx, 2
        vmcall
        shl eax, 16
        or eax, 1
        mov ebx, eax
        mov eax, 2
        mov ecx, req
        mov edx, 3
        mov esi, resp
        mov edi, 16
        vmcall
        mov eax, [resp]
        outd 0xf4, eax
.stop:  hlt
        jmp .stop
.data
name:   .ascii "tm"
.align 4
req:    .ascii "abc"
.align 4
resp:   .dword 0, 0, 0, 0
`;
  const kernel = assemble(src, { file: 'guest.s', textBase: 0x100000 }).image;
  const vm = new Vm({ kernel, firmware: bootRom(), memSize: 4 << 20, profile });
  const reg = new ModuleRegistry(vm);
  reg.add(newModule().m);
  const r = vm.run();
  t.equal(r.stop, 'poweroff');
  t.equal(r.exitCode & 0xffffff, 0x616263, '"cba" came back');
  t.equal(Object.fromEntries(vm.stats.byReason()).vmcall?.count, 2, 'one exit per hypercall, none for the module\'s own work');
});
