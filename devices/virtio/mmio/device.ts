/**
 * The contract between the virtio-mmio transport and a device model (virtio-blk, virtio-net, or
 * a new device under test). The transport owns registers, status, features and queues; the
 * model owns its configuration space and what a request means.
 */
import type { Dma } from '../../dma/dma.js';
import type { ChainError, DescriptorChain } from '../queue/chain.js';
import type { SplitQueue } from '../queue/queue.js';
import type { ServiceTiming } from './timing.js';

/** §5: device IDs. */
export const VIRTIO_ID_NET = 1;
export const VIRTIO_ID_BLOCK = 2;

/** §6 reserved feature bits the transport understands. */
export const VIRTIO_F_INDIRECT_DESC = 28;
export const VIRTIO_F_EVENT_IDX = 29;
export const VIRTIO_F_VERSION_1 = 32;
export const VIRTIO_F_ACCESS_PLATFORM = 33;

/** §2.1 device status bits. */
export const STATUS_ACKNOWLEDGE = 1;
export const STATUS_DRIVER = 2;
export const STATUS_DRIVER_OK = 4;
export const STATUS_FEATURES_OK = 8;
export const STATUS_DEVICE_NEEDS_RESET = 64;
export const STATUS_FAILED = 128;

/** §4.2.2 InterruptStatus bits. */
export const INT_USED_BUFFER = 1;
export const INT_CONFIG_CHANGE = 2;

export const bit = (n: number): bigint => 1n << BigInt(n);

/** Public counters: test assertions and report figures. */
export interface VirtioStats {
  /** QueueNotify writes that reached the device model. */
  notifications: number;
  /** QueueNotify writes dropped: before DRIVER_OK, queue not ready, bad index, NEEDS_RESET or FAILED. */
  notificationsIgnored: number;
  /** Times the IRQ line was raised (used-buffer plus configuration-change). */
  interrupts: number;
  usedInterrupts: number;
  configInterrupts: number;
  /** Completion batches for which the driver asked for no interrupt (§2.7.7.2, §2.7.10). */
  interruptsSuppressed: number;
  /** Chains returned to the driver, good or bad. */
  requests: number;
  /** Payload bytes the device read from or wrote to guest buffers. */
  bytes: number;
  /** Malformed chains and failed requests. */
  errors: number;
  /** Register accesses of the wrong size or alignment, to unknown offsets, or refused writes. */
  registerErrors: number;
  /** FEATURES_OK writes refused because of the feature set (§2.2.2). */
  featureRefusals: number;
  /** Times the device set DEVICE_NEEDS_RESET. */
  needsReset: number;
  /** The last error's one-line description. */
  lastError: string | undefined;
}

export function newStats(): VirtioStats {
  return {
    notifications: 0, notificationsIgnored: 0, interrupts: 0, usedInterrupts: 0, configInterrupts: 0,
    interruptsSuppressed: 0, requests: 0, bytes: 0, errors: 0, registerErrors: 0, featureRefusals: 0,
    needsReset: 0, lastError: undefined,
  };
}

/** A popped chain: usable, or malformed in a way that lets the device return it with length 0. */
export type Popped =
  | { readonly head: number; readonly chain: DescriptorChain; readonly error?: undefined }
  | { readonly head: number; readonly chain?: undefined; readonly error: ChainError };

export interface UsedElem {
  readonly head: number;
  readonly len: number;
}

/**
 * What a device model sees between DRIVER_OK and the next reset. After a reset the context is
 * dead: every method is a no-op, so completions still in flight on the clock vanish harmlessly.
 */
export interface VirtioContext {
  readonly dma: Dma;
  /** The negotiated feature set. */
  readonly features: bigint;
  readonly stats: VirtioStats;
  readonly alive: boolean;
  has(featureBit: number): boolean;
  queue(index: number): SplitQueue;
  /**
   * The next chain, or undefined when there is none or the device just went to NEEDS_RESET.
   * Chains whose error policy is `return` come back with `error` set for the device to complete
   * with length 0.
   */
  pop(queue: number): Popped | undefined;
  /** Pops every available chain with notifications suppressed meanwhile (§2.7.10's loop). */
  drain(queue: number, handle: (p: Popped) => void): void;
  /** Returns chains to the driver as one batch: one interrupt decision (§2.7.7.2). */
  complete(queue: number, used: readonly UsedElem[]): void;
  /** Runs `done` after the service time of `requests` requests and `bytes` bytes. */
  defer(timing: ServiceTiming, requests: number, bytes: number, done: () => void): void;
  /** Sets DEVICE_NEEDS_RESET and raises the configuration interrupt (§2.1.2). */
  needsReset(why: string): void;
  /** Bumps ConfigGeneration and raises the configuration interrupt (§4.2.2, §2.5.1). */
  configChanged(): void;
}

export interface VirtioDevice {
  readonly name: string;
  readonly deviceId: number;
  /** Device-type feature bits offered; the transport adds VERSION_1, EVENT_IDX, INDIRECT_DESC. */
  readonly features: bigint;
  /** Maximum size of each queue, a power of 2; the length is the number of queues. */
  readonly queueSizes: readonly number[];
  /** The configuration space, current contents (read at 0x100 onwards). */
  config(): Uint8Array;
  /** A driver write into the configuration space; devices without writable fields omit it. */
  writeConfig?(offset: number, data: Uint8Array): void;
  /** DRIVER_OK: features are final and the queues the driver readied may be used. */
  activate(ctx: VirtioContext): void;
  /** A notification for `queue` (only after DRIVER_OK, for a ready queue). */
  notify(queue: number): void;
  /** Device reset (status written 0): forget the context and all in-flight state. */
  reset(): void;
  /**
   * Whether notifications reach this device through an ioeventfd: the device does its work on
   * a host I/O thread that also pays the user-space work (the profile's `virtioIo: 'iothread'`),
   * so the VMM charges the QueueNotify exit as light. Absent: the heavy, synchronous exit.
   */
  readonly ioeventfd?: boolean;
}
