/**
 * The module channel's backend (docs/virtio.md "virtio-modchan"): binds a virtio-modchan device
 * to one module of the registry, so that an operation arriving on the device goes through the
 * same checks, failure policy, statistics and copy charges as a MODULE_CALL hypercall. What
 * differs is only the path: a virtqueue and an interrupt instead of a vmcall, and the module
 * running on a modelled host thread instead of in the stopped vCPU's exit.
 */
import { VirtioModchan, type ModuleEndpoint } from '../../devices/virtio/modchan/device.js';
import { HostThreads } from '../../devices/virtio/mmio/host-threads.js';
import type { VirtualClock } from '../../vmm/clock.js';
import { ioeventfdKickCycles, type CostProfile } from '../../vmm/profile.js';
import type { ModuleRegistry } from './registry.js';

export function registryEndpoint(registry: ModuleRegistry, name: string): ModuleEndpoint {
  const handle = registry.handleOf(name);
  if (handle === undefined) throw new Error(`module channel: no module '${name}' is registered`);
  return { name, invoke: (op, request, cap) => registry.invoke(handle, op, request, cap) };
}

/**
 * An endpoint for a channel made before its VM (the device sits in a slot) and so before the
 * registry, which binds to the VM: it finds the module when each operation arrives.
 */
export function lateEndpoint(name: string, registry: () => ModuleRegistry | undefined): ModuleEndpoint {
  return {
    name,
    invoke: (op, request, cap) => {
      const r = registry();
      const handle = r?.handleOf(name);
      if (r === undefined || handle === undefined) throw new Error(`module channel: no module '${name}' is registered`);
      return r.invoke(handle, op, request, cap);
    },
  };
}

/**
 * The channel's notification on this profile: an ioeventfd whose exit is light when virtio work
 * runs on an I/O thread (`virtioIo: "iothread"`, docs/cost-model.md), else undefined (the
 * synchronous MMIO exit), as for virtio-blk on the same profile.
 */
export function channelKickCycles(profile: CostProfile): number | undefined {
  return profile.virtioIo === 'iothread' ? ioeventfdKickCycles(profile) : undefined;
}

export interface ModuleChannelOptions {
  registry: ModuleRegistry;
  /** The registered module the channel carries operations to. */
  module: string;
  /** The VM's clock: the host threads finish on it (absent: at once, for unit tests). */
  clock?: VirtualClock;
  /** Host threads running the module (default 1: operations run one after another). */
  threads?: number;
  queueSize?: number;
}

export function moduleChannel(opts: ModuleChannelOptions): VirtioModchan {
  return new VirtioModchan({
    endpoint: registryEndpoint(opts.registry, opts.module),
    threads: new HostThreads(opts.clock, opts.threads ?? 1),
    queueSize: opts.queueSize,
  });
}
