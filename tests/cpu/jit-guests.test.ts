/**
 * Whole guests under `--cpu jit` and `--cpu interp` (docs/jit.md): the same console output, the
 * same exit trace (every exit with its cost, device, virtual time and eip), the same instruction
 * count and the same final RAM. Guests: the default disk's guest, disktest (paging, ring 3,
 * virtio-blk DMA into pages that held code), udpecho (virtio-net), the database in both
 * placements (the hypervisor module's own vCPU follows --cpu too), and the C compiler's corpus.
 */
import t from 'tap';
import type { Tap } from '../tap-types.js';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bootRom } from '../../firmware/build.js';
import { defaultGuest } from '../../guest-os/build.js';
import { MemoryBackend } from '../../devices/virtio/blk/backend.js';
import { peerPair } from '../../devices/virtio/net/backend.js';
import { ARP_REPLY, ARP_REQUEST, buildArp, buildUdp, parseArp, parseUdp } from '../../devices/virtio/net/frames.js';
import { runPoint } from '../../middleware/experiment/point.js';
import { loadVolume, QUICK_SWEEP, type SweepConfig } from '../../middleware/experiment/sweep.js';
import { build } from '../../toolchain/cc/driver.js';
import { osBootDisk, osMachine } from '../../testing/os.js';
import { setDefaultCpuMode, setDefaultHotThreshold, type CpuMode } from '../../vmm/cpu/jit.js';
import { guestMac, NET_GATEWAY_IP, NET_GATEWAY_MAC, NET_GUEST_IP } from '../../vmm/platform.js';
import { loadProfile } from '../../vmm/profile.js';
import { Vm, type VmOptions } from '../../vmm/vm.js';
import { projectFile } from '../../vmm/paths.js';

// Compile after 50 branch executions, so that these short runs put much of their code in regions
// (the default threshold is higher); when code compiles never changes what it does.
setDefaultHotThreshold(50);

interface Outcome {
  console: string;
  trace: string[];
  instructions: number;
  ram: string;
  cpu: string;
  compiled: number;
  compileErrors: number;
}

/** Runs a Vm built by `make` (given the options to pass through) and records everything. */
function outcome(cpu: CpuMode, make: (o: Partial<VmOptions>) => Vm): Outcome {
  const trace: string[] = [];
  let out = '';
  let vm!: Vm;
  vm = make({
    cpu,
    console: (b) => { out += String.fromCharCode(b); },
    onExit: (exit, cycles, device, at, eip) => { trace.push(JSON.stringify({ exit, cycles, device: device ?? null, at, eip, now: vm.clock.now })); },
  });
  vm.run();
  return {
    console: out, trace, instructions: vm.cpu.retired,
    ram: createHash('sha256').update(vm.mem.ram).digest('hex'),
    cpu: JSON.stringify(vm.cpu.snapshot()),
    compiled: vm.cpu.jit?.stats.compiled ?? 0,
    compileErrors: vm.cpu.jit?.stats.compileErrors ?? 0,
  };
}

function same(t: Tap, a: Outcome, b: Outcome): void {
  t.equal(b.console, a.console, 'same console output');
  t.equal(b.trace.length, a.trace.length, `same number of exits (${a.trace.length})`);
  const k = a.trace.findIndex((x, i) => x !== b.trace[i]);
  t.equal(k, -1, k < 0 ? 'same exit trace' : `exit ${k} differs: ${a.trace[k]} vs ${b.trace[k]}`);
  t.equal(b.instructions, a.instructions, `same instruction count (${a.instructions})`);
  t.equal(b.ram, a.ram, 'same final RAM (SHA-256)');
  t.equal(b.cpu, a.cpu, 'same final registers');
  t.ok(b.compiled > 0, `the compiler ran (${b.compiled} regions)`);
  t.equal(b.compileErrors, 0, 'V8 accepted every compiled module');
}

function both(make: (o: Partial<VmOptions>) => Vm): [Outcome, Outcome] {
  return [outcome('interp', make), outcome('jit', make)];
}

t.test('the default guest', async (t) => {
  const [a, b] = both((o) => new Vm({ kernel: defaultGuest(), firmware: bootRom(), cmdline: 'jit', ...o }));
  same(t, a, b);
});

t.test('disktest under the kernel (paging, ring 3, virtio-blk DMA)', async (t) => {
  const [a, b] = both((o) => {
    const m = osMachine({ programs: ['init', 'disktest'], cmdline: 'iommu=strict run=disktest', iommu: true, dataDisks: [{ sectors: 2048 }], cpu: o.cpu, onExit: o.onExit, onConsole: o.console });
    return m.vm;
  });
  same(t, a, b);
  t.match(a.console, /init: disktest exited with status 0/);
});

t.test('udpecho over virtio-net', async (t) => {
  const { disk } = osBootDisk({ programs: ['init', 'udpecho'] });
  const mac = guestMac(0);
  const payloads = [1, 64, 512, 1472].map((n, i) => Uint8Array.from({ length: n }, (_, k) => (k * 31 + i) & 255));
  const [a, b] = both((o) => {
    const [guestSide, host] = peerPair();
    const fromGuest: Uint8Array[] = [];
    host.onReceive = (f) => fromGuest.push(f);
    let text = '', seen = 0, next = 0, started = false;
    const pump = (): void => {
      while (seen < fromGuest.length) {
        const f = fromGuest[seen++]!;
        const arp = parseArp(f);
        if (arp?.op === ARP_REQUEST && arp.targetIp === NET_GATEWAY_IP) {
          host.send(buildArp({ op: ARP_REPLY, senderMac: NET_GATEWAY_MAC, senderIp: NET_GATEWAY_IP, targetMac: arp.senderMac, targetIp: arp.senderIp }, arp.senderMac));
        } else if (parseUdp(f) && next < payloads.length) {
          host.send(buildUdp({ srcMac: NET_GATEWAY_MAC, dstMac: mac, srcIp: NET_GATEWAY_IP, dstIp: NET_GUEST_IP, srcPort: 40000, dstPort: 7, payload: payloads[next++]! }));
        }
      }
      if (!started && text.includes('udpecho: listening on port 7\n')) {
        started = true;
        host.send(buildUdp({ srcMac: NET_GATEWAY_MAC, dstMac: mac, srcIp: NET_GATEWAY_IP, dstIp: NET_GUEST_IP, srcPort: 40000, dstPort: 7, payload: new Uint8Array(8) }));
      }
    };
    return new Vm({
      firmware: bootRom(), cmdline: `run=udpecho:7:${payloads.length + 1}`,
      disks: [{ backend: new MemoryBackend(disk.length / 512, true, disk), readOnly: true }],
      nets: [guestSide], maxInstructions: 500_000_000, cpu: o.cpu,
      console: (c) => { text += String.fromCharCode(c); o.console!(c); },
      onExit: (...args) => { o.onExit!(...args); pump(); },
    });
  });
  same(t, a, b);
  t.match(a.console, /init: udpecho exited with status 0/);
});

t.test('the database in both placements, a short workload', async (t) => {
  const profile = loadProfile('nehalem-2011');
  const sweep: SweepConfig = { ...QUICK_SWEEP, records: 200, operations: 40, concurrency: 1, volumeSectors: (8 << 20) / 512 };
  const volume = loadVolume(sweep, profile);
  for (const placement of ['guest', 'vamos'] as const) {
    const run = (cpu: CpuMode): string => {
      setDefaultCpuMode(cpu); // the VM's vCPU and the hypervisor module's (image-module.ts)
      try {
        const r = runPoint({
          placement, iommu: 'strict', profile, poolPages: 16,
          volume: new MemoryBackend(sweep.volumeSectors, false, volume.slice()),
          workload: { mix: 'B', distribution: 'uniform', records: sweep.records, operations: sweep.operations, concurrency: 1, seed: 7, skipLoad: true },
        });
        return JSON.stringify(r);
      } finally {
        setDefaultCpuMode('jit');
      }
    };
    const a = run('interp'), b = run('jit');
    t.equal(b, a, `${placement}: same replies, exits, cycles, instructions and console`);
    t.match(a, /"errors":0/, `${placement}: the workload ran without errors`);
  }
});

t.test("the C compiler's corpus", async (t) => {
  const corpus = projectFile('tests', 'cc', 'corpus');
  const files = readdirSync(corpus).filter((f) => f.endsWith('.c')).sort();
  t.ok(files.length >= 15, `${files.length} programs`);
  for (const file of files) {
    const path = join(corpus, file);
    const { image } = build([{ path, text: readFileSync(path, 'utf8') }]);
    // The benchmarks run long: compare them at an instruction limit (the state there must agree too).
    const [a, b] = both((o) => new Vm({ kernel: image, firmware: bootRom(), maxInstructions: 10_000_000, ...o }));
    const ok = a.console === b.console && a.instructions === b.instructions && a.ram === b.ram && a.cpu === b.cpu &&
      a.trace.join() === b.trace.join();
    t.ok(ok, `${file}: identical (${a.instructions} instructions, ${b.compiled} regions)`);
  }
});
