/**
 * The web server guest in one placement (docs/web.md), as `vamos serve --app http` and the web
 * experiment boot it: the guest OS with init and webserver on its boot disk, the site volume as
 * a read-only data disk (baseline) or behind the file-layer module (VAMOS), one network device
 * behind the TCP gateway, and the module registry that answers the stub's hypercalls. The same
 * shape as the database's db-machine.ts.
 */
import type { BlockBackend } from '../../devices/virtio/blk/backend.js';
import type { NetBackend } from '../../devices/virtio/net/backend.js';
import { buildKernel } from '../../guest-os/os-build.js';
import { osMachine } from '../../testing/os.js';
import type { CostProfile } from '../../vmm/profile.js';
import type { TraceRecorder } from '../../vmm/trace/recorder.js';
import type { Placement, Transport } from '../build.js';
import { VirtioModchan } from '../../devices/virtio/modchan/device.js';
import { HostThreads } from '../../devices/virtio/mmio/host-threads.js';
import { memFor, type DbMachine, type IommuMode } from '../db-machine.js';
import { channelKickCycles, lateEndpoint } from '../host/channel.js';
import { ImageModule, MODULE_MEM_DEFAULT } from '../host/image-module.js';
import { ModuleRegistry } from '../host/registry.js';
import { filesModuleImage, webServerImage } from './build.js';
import { SITE_ENTRY } from './site.js';

/** The guest UDP port the web server listens on behind the gateway (HTTP's). */
export const WEB_PORT = 80;
export const FILES_MODULE = 'vamos-files';

export interface WebMachineConfig {
  placement: Placement;
  /** How the VAMOS placement's stub reaches the file layer (default 'vmcall'); ignored for 'guest'. */
  transport?: Transport;
  iommu: IommuMode;
  profile: CostProfile;
  /** The file layer's page cache, 4 KiB pages. */
  cachePages: number;
  /** The site volume (vamos mksite) and its entry count (it sizes the file layer's table). */
  site: BlockBackend;
  siteEntries: number;
  net: NetBackend;
  trace?: TraceRecorder;
  /** Guest instructions before the run is declared stuck; 0: no limit. */
  maxInstructions: number;
  onConsole?: (byte: number) => void;
  onModuleFailure?: (line: string) => void;
}

export type WebMachine = Omit<DbMachine, 'volumeCounters' | 'release'> & {
  /** The placement's transport ('vmcall' for the baseline, which has none). */
  transport: Transport;
  /** The site volume's traffic so far (the same file layer in both placements). */
  volumeCounters(): { bytesRead: number };
};

/** The file layer's memory, KiB: its cache, its table, and room for its own allocations. */
function fileLayerKiB(cachePages: number, entries: number): number {
  return cachePages * 4 + Math.ceil((entries * SITE_ENTRY) / 1024) + 256;
}

/** The server's heap, KiB: 64 connections of about 44 KiB each (a head buffer and a listing page). */
function webHeapKiB(cfg: WebMachineConfig, fileLayerInGuest: boolean): number {
  return 64 * 48 + 1024 + (fileLayerInGuest ? fileLayerKiB(cfg.cachePages, cfg.siteEntries) : 0);
}

export function webMachine(cfg: WebMachineConfig): WebMachine {
  const inGuest = cfg.placement === 'guest';
  const transport: Transport = inGuest ? 'vmcall' : cfg.transport ?? 'vmcall';
  const heap = webHeapKiB(cfg, inGuest);
  // The channel's device is in a slot before the VM exists and the registry binds to the VM
  // after: the endpoint finds the module at each call (as db-machine.ts does).
  let registryRef: ModuleRegistry | undefined;
  const threads = new HostThreads(undefined, 1);
  const channel = transport === 'virtio'
    ? new VirtioModchan({ endpoint: lateEndpoint(FILES_MODULE, () => registryRef), threads, kickCycles: channelKickCycles(cfg.profile) })
    : undefined;
  const machine = osMachine({
    trace: cfg.trace,
    programs: ['init'],
    extraPrograms: { webserver: webServerImage(cfg.placement, transport) },
    devices: channel ? [channel] : [],
    cmdline: `iommu=${cfg.iommu} heap=${heap} run=webserver:${cfg.cachePages}:${WEB_PORT}`,
    dataDisks: inGuest ? [{ backend: cfg.site }] : [],
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
  let volumeCounters: WebMachine['volumeCounters'];
  if (inGuest) {
    const disk = vm.blk[1]!; // slot 0 is the boot disk
    volumeCounters = () => disk.stats;
  } else {
    // The module's memory: the file layer, the 2 MiB of call windows, its stack and image.
    const need = (fileLayerKiB(cfg.cachePages, cfg.siteEntries) << 10) + (4 << 20);
    const memSize = Math.max(MODULE_MEM_DEFAULT, Math.ceil(need / (1 << 20)) << 20);
    const module = new ImageModule({ name: FILES_MODULE, image: filesModuleImage(), profile: cfg.profile, volume: cfg.site, memSize, now: () => vm.clock.now });
    registry.add(module);
    volumeCounters = () => module.host.counters;
  }
  const symbols = (): { name: string; value: number; size: number }[] =>
    [...buildKernel().symbols, ...webServerImage(cfg.placement, transport).symbols].filter((s) => s.kind !== 'label')
      .map(({ name, value, size }) => ({ name, value, size }));
  return { machine, registry, channel, transport, volumeCounters, symbols };
}
