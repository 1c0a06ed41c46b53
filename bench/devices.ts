/**
 * Device benchmarks without a guest: the mock driver (vamos/testing) drives virtio-blk and
 * virtio-net through the real virtio-mmio transport. Wall-clock figures about the emulator
 * itself (performance.now is allowed here and nowhere in the simulation). The `dma` option is
 * the hook for running the same workload behind the IOMMU: pass a factory that returns an
 * IommuDma whose translations map the test memory's addresses one to one. The factory runs once
 * per device, before the driver lays out its rings, so it may take its tables from `tm.alloc`.
 */
import type { Dma } from '../devices/dma/dma.js';
import { VirtioMmio } from '../devices/virtio/mmio/transport.js';
import { VirtioBlk } from '../devices/virtio/blk/device.js';
import { MemoryBackend } from '../devices/virtio/blk/backend.js';
import { VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT } from '../devices/virtio/blk/request.js';
import { VirtioNet } from '../devices/virtio/net/device.js';
import { peerPair } from '../devices/virtio/net/backend.js';
import { NET_HDR_SIZE, RX_QUEUE, TX_QUEUE } from '../devices/virtio/net/config.js';
import { TestMemory } from '../testing/memory.js';
import { MmioDriver } from '../testing/driver.js';

export type DmaFactory = (tm: TestMemory) => Dma;

export interface DevicesBenchOptions {
  /** How devices reach guest memory (default: the memory's PhysicalDma). */
  dma?: DmaFactory;
  /** Timed runs per figure; the median is reported (default 5). */
  runs?: number;
  /** Requests (blk) or frames (net) per run (default 100,000). */
  ops?: number;
  /** Requests in flight per kick, like an I/O queue depth (default 32). */
  depth?: number;
}

const DISK_SECTORS = (64 << 20) / 512;
const BLOCK = 4096;
const FRAME = 64;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/** xorshift32: the same "random" offsets every run, so runs compare. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

function blkRun(type: number, opts: Required<DevicesBenchOptions>): number {
  const tm = new TestMemory({ size: 8 << 20 });
  const backend = new MemoryBackend(DISK_SECTORS);
  // Fault the host pages in before timing: a fresh typed array is lazily mapped, and first-touch
  // page faults would otherwise dominate random I/O over 64 MiB (a running guest has them in).
  backend.data.fill(0);
  tm.mem.ram.fill(0);
  const dev = new VirtioMmio(new VirtioBlk({ backend }), { dma: opts.dma(tm), irq: { raise() {} } });
  const drv = new MmioDriver(dev, tm);
  const [q] = drv.init();
  const slots = Array.from({ length: opts.depth }, () => ({ hdr: tm.alloc(16), data: tm.alloc(BLOCK, 64), status: tm.alloc(1, 1) }));
  const next = rng(0x9e3779b9);
  const blocks = DISK_SECTORS / (BLOCK / 512);
  const start = performance.now();
  for (let done = 0; done < opts.ops; ) {
    for (const s of slots) {
      const sector = (next() % blocks) * (BLOCK / 512);
      tm.dma.write32(s.hdr, type);
      tm.dma.write32(s.hdr + 8, sector);
      q!.add([
        { addr: s.hdr, len: 16 },
        { addr: s.data, len: BLOCK, writable: type === VIRTIO_BLK_T_IN },
        { addr: s.status, len: 1, writable: true },
      ]);
    }
    drv.kick(0, true);
    done += q!.takeUsed().length;
    drv.ackInterrupts();
  }
  const secs = (performance.now() - start) / 1000;
  if (dev.stats.errors !== 0) throw new Error(`blk bench: device errors: ${dev.stats.lastError}`);
  return opts.ops / secs;
}

function netRun(opts: Required<DevicesBenchOptions>): number {
  const [a, b] = peerPair();
  const side = (backend: typeof a) => {
    const tm = new TestMemory({ size: 4 << 20 });
    const dev = new VirtioMmio(new VirtioNet({ backend }), { dma: opts.dma(tm), irq: { raise() {} } });
    const drv = new MmioDriver(dev, tm);
    drv.init();
    return { tm, dev, drv };
  };
  const A = side(a);
  const B = side(b);
  const tx = Array.from({ length: opts.depth }, () => ({ hdr: A.tm.alloc(NET_HDR_SIZE), frame: A.tm.alloc(FRAME) }));
  const rx = Array.from({ length: opts.depth }, () => B.tm.alloc(NET_HDR_SIZE + 1514));
  const frame = new Uint8Array(FRAME).fill(0xab);
  for (const s of tx) A.tm.write(s.frame, frame);
  const txq = A.drv.queues[TX_QUEUE]!;
  const rxq = B.drv.queues[RX_QUEUE]!;
  let received = 0;
  const start = performance.now();
  while (received < opts.ops) {
    for (const addr of rx) rxq.add([{ addr, len: NET_HDR_SIZE + 1514, writable: true }]);
    B.drv.kick(RX_QUEUE, true);
    for (const s of tx) txq.add([{ addr: s.hdr, len: NET_HDR_SIZE }, { addr: s.frame, len: FRAME }]);
    A.drv.kick(TX_QUEUE, true);
    txq.takeUsed();
    received += rxq.takeUsed().length;
    A.drv.ackInterrupts();
    B.drv.ackInterrupts();
  }
  const secs = (performance.now() - start) / 1000;
  if (A.dev.stats.errors + B.dev.stats.errors !== 0) throw new Error(`net bench: device errors: ${A.dev.stats.lastError ?? B.dev.stats.lastError}`);
  return received / secs;
}

export function devicesBench(options: DevicesBenchOptions = {}): {
  blkRandReadIops: number;
  blkRandWriteIops: number;
  netPps: number;
  config: { runs: number; ops: number; depth: number; blockBytes: number; frameBytes: number; dma: string };
} {
  const opts: Required<DevicesBenchOptions> = {
    dma: options.dma ?? ((tm) => tm.dma),
    runs: options.runs ?? 5,
    ops: options.ops ?? 100_000,
    depth: options.depth ?? 32,
  };
  const measure = (f: () => number) => {
    f(); // warm-up: JIT and allocation
    return median(Array.from({ length: opts.runs }, f));
  };
  return {
    blkRandReadIops: Math.round(measure(() => blkRun(VIRTIO_BLK_T_IN, opts))),
    blkRandWriteIops: Math.round(measure(() => blkRun(VIRTIO_BLK_T_OUT, opts))),
    netPps: Math.round(measure(() => netRun(opts))),
    config: { runs: opts.runs, ops: opts.ops, depth: opts.depth, blockBytes: BLOCK, frameBytes: FRAME, dma: options.dma ? 'custom' : 'physical' },
  };
}
