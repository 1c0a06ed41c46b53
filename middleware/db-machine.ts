/**
 * The database guest in one placement (docs/vamos.md), as the experiment (experiment/point.ts)
 * and `vamos serve` (cli/serve.ts) both boot it: the guest OS with init and dbserver on its boot
 * disk, the volume as a data disk (baseline) or behind the engine module (VAMOS), one network
 * device, and the module registry that answers the stub's hypercalls.
 */
import type { BlockBackend } from '../devices/virtio/blk/backend.js';
import type { NetBackend } from '../devices/virtio/net/backend.js';
import { buildKernel } from '../guest-os/os-build.js';
import { osMachine, type OsMachine } from '../testing/os.js';
import type { CostProfile } from '../vmm/profile.js';
import { DEFAULT_MEM } from '../vmm/vm.js';
import type { TraceRecorder } from '../vmm/trace/recorder.js';
import type { GuestMemory } from '../vmm/memory.js';
import { dbServerImage, engineModuleImage, type Placement, type Transport } from './build.js';
import { VirtioModchan } from '../devices/virtio/modchan/device.js';
import { HostThreads } from '../devices/virtio/mmio/host-threads.js';
import { channelKickCycles, lateEndpoint } from './host/channel.js';
import { ImageModule } from './host/image-module.js';
import { ModuleRegistry } from './host/registry.js';

export type IommuMode = 'off' | 'strict' | 'deferred';

/** The guest UDP port dbserver listens on (Redis's). */
export const SERVER_PORT = 6379;

export interface DbMachineConfig {
  placement: Placement;
  /** How the VAMOS stub reaches the engine (ignored for the baseline); default 'vmcall'. */
  engineTransport?: Transport;
  /** Host threads running the engine behind the module channel (default 1). */
  hostThreads?: number;
  iommu: IommuMode;
  profile: CostProfile;
  /** The engine's buffer pool, 4 KiB pages. */
  poolPages: number;
  /** Connections the server must hold at once (sizes the guest heap). */
  clients: number;
  /** The database volume: a data disk of the guest, or the engine module's host volume. */
  volume: BlockBackend;
  net: NetBackend;
  /** 'udp': one client per UDP address (the workload driver); 'gateway': docs/gateway.md. */
  transport: 'udp' | 'gateway';
  trace?: TraceRecorder;
  /** Guest instructions before the run is declared stuck; 0: no limit. */
  maxInstructions: number;
  /** Each console byte as the guest writes it. */
  onConsole?: (byte: number) => void;
  /** One line per module failure (the engine module or one added by `--module`). */
  onModuleFailure?: (line: string) => void;
}

export interface DbMachine {
  machine: OsMachine;
  registry: ModuleRegistry;
  /** The module channel, with engineTransport 'virtio'. */
  channel?: VirtioModchan;
  /** The volume's traffic so far (the same engine in both placements). */
  volumeCounters(): { bytesRead: number; bytesWritten: number; flushes: number };
  /** The kernel's and the server's functions, for a trace's symbol table. */
  symbols(): { name: string; value: number; size: number }[];
  /** Gives the guest's memory (and the engine module's) back for reuse: the machine is done. */
  release(): void;
}

/**
 * The user heap the server needs (the kernel's heap= key, KiB): the buffer pool, about 140 KiB
 * of connection state per client (docs/database.md), and room for the engine's own tables.
 */
export function serverHeapKiB(poolPages: number, clients: number, transport: Transport = 'vmcall'): number {
  // Over the module channel each client also has a task: a 32 KiB stack, a reply buffer and a backlog (inflight.c).
  const task = transport === 'virtio' ? 64 : 0;
  return poolPages * 4 + (clients + 1) * (160 + task) + 2048;
}

/** The default RAM, or more when the heap (KiB) and 16 MiB for the kernel and page tables need it. */
export function memFor(heapKiB: number): number | undefined {
  const need = Math.ceil((heapKiB * 1024 + (16 << 20)) / (1 << 20)) << 20;
  return need > DEFAULT_MEM ? need : undefined;
}

export function dbMachine(cfg: DbMachineConfig): DbMachine {
  const guestEngine = cfg.placement === 'guest';
  const transport: Transport = cfg.engineTransport ?? 'vmcall';
  const heap = serverHeapKiB(cfg.poolPages, cfg.clients, guestEngine ? 'vmcall' : transport);
  // The channel's device exists before the VM (it is in a slot), the registry after (it binds
  // to the VM's hypercall table): the endpoint looks the registry up at each call.
  let registryRef: ModuleRegistry | undefined;
  const threads = new HostThreads(undefined, cfg.hostThreads ?? 1);
  const channel = !guestEngine && transport === 'virtio'
    ? new VirtioModchan({ endpoint: lateEndpoint('vamos-engine', () => registryRef), threads, kickCycles: channelKickCycles(cfg.profile) })
    : undefined;
  const machine = osMachine({
    trace: cfg.trace,
    programs: ['init'],
    extraPrograms: { dbserver: dbServerImage(cfg.placement, transport) },
    devices: channel ? [channel] : [],
    cmdline: `iommu=${cfg.iommu} heap=${heap} run=dbserver:${cfg.poolPages}:${SERVER_PORT}${cfg.transport === 'gateway' ? ':gateway' : ''}`,
    dataDisks: guestEngine ? [{ backend: cfg.volume }] : [],
    iommu: cfg.iommu !== 'off',
    nets: [cfg.net],
    profile: cfg.profile,
    memSize: memFor(heap),
    maxInstructions: cfg.maxInstructions,
    onConsole: cfg.onConsole,
  });
  const vm = machine.vm;
  const registry = new ModuleRegistry(vm, { onFailure: cfg.onModuleFailure });
  registryRef = registry;
  threads.attach(vm.clock);
  let volumeCounters: DbMachine['volumeCounters'];
  let engineMemory: GuestMemory | undefined;
  if (guestEngine) {
    const disk = vm.blk[1]!; // slot 0 is the boot disk
    volumeCounters = () => disk.stats;
  } else {
    const module = new ImageModule({ name: 'vamos-engine', image: engineModuleImage(), profile: cfg.profile, volume: cfg.volume, now: () => vm.clock.now });
    registry.add(module);
    volumeCounters = () => module.host.counters;
    engineMemory = module.mem;
  }
  const symbols = (): { name: string; value: number; size: number }[] =>
    [...buildKernel().symbols, ...dbServerImage(cfg.placement, transport).symbols].filter((s) => s.kind !== 'label')
      .map(({ name, value, size }) => ({ name, value, size }));
  const release = (): void => { vm.mem.release(); engineMemory?.release(); };
  return { machine, registry, channel, volumeCounters, symbols, release };
}
