/**
 * fw_cfg: the VMM's read-only configuration items, after QEMU's device of the same name
 * (guest-os/include/platform.h, docs/platform.md). The guest writes a 16-bit item selector to
 * the select port, then reads the item from the data port: an 8-bit `in` gives the next byte, a
 * 16- or 32-bit `in` the next two or four (little-endian). Reads past the end give 0; an
 * unknown item is empty. Selecting an item (again) rewinds it.
 *
 * The firmware uses it to learn the memory size, the command line and the IOMMU when it builds
 * the boot-information block for a kernel it loaded from disk.
 */
import type { AccessSize } from '../../vmm/exits.js';
import type { BusDevice } from '../../vmm/bus.js';
import {
  FWCFG_CMDLINE, FWCFG_CMDLINE_LEN, FWCFG_DATA_PORT, FWCFG_IOMMU_BASE, FWCFG_IOMMU_IRQ, FWCFG_MEM_SIZE,
  FWCFG_SELECT_PORT, FWCFG_SIGNATURE, FWCFG_SIGNATURE_VALUE,
} from '../../vmm/platform.js';

/** The two ports, select then data, mapped as one window at FWCFG_SELECT_PORT. */
export const FWCFG_PORT = FWCFG_SELECT_PORT;
export const FWCFG_PORT_COUNT = FWCFG_DATA_PORT - FWCFG_SELECT_PORT + 1;

export interface FwCfgConfig {
  memSize: number;
  /** The command line given to the VMM ('' for none). */
  cmdline: string;
  /** 0 when there is no IOMMU. */
  iommuBase: number;
  iommuIrq: number;
}

export interface FwCfgStats {
  selects: number;
  /** Bytes the guest read from the data port, past-the-end zeros included. */
  bytesRead: number;
  /** Writes to the data port (the items are read-only) and reads of the select port. */
  ignored: number;
}

function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
}

export class FwCfg implements BusDevice {
  readonly name = 'fw-cfg';
  readonly stats: FwCfgStats = { selects: 0, bytesRead: 0, ignored: 0 };
  private readonly items = new Map<number, Uint8Array>();
  private selector = 0;
  private current: Uint8Array;
  private pos = 0;

  constructor(cfg: FwCfgConfig) {
    const cmd = new TextEncoder().encode(cfg.cmdline);
    this.items.set(FWCFG_SIGNATURE, u32(FWCFG_SIGNATURE_VALUE));
    this.items.set(FWCFG_MEM_SIZE, u32(cfg.memSize));
    this.items.set(FWCFG_CMDLINE_LEN, u32(cmd.length));
    this.items.set(FWCFG_CMDLINE, cmd);
    this.items.set(FWCFG_IOMMU_BASE, u32(cfg.iommuBase));
    this.items.set(FWCFG_IOMMU_IRQ, u32(cfg.iommuIrq));
    this.current = this.items.get(FWCFG_SIGNATURE)!;
  }

  /** The bytes of an item (empty when unknown), for tests and docs. */
  item(selector: number): Uint8Array {
    return this.items.get(selector & 0xffff) ?? new Uint8Array(0);
  }

  read(offset: number, size: AccessSize): number {
    if (offset !== FWCFG_DATA_PORT - FWCFG_PORT) {
      this.stats.ignored++;
      return offset === 0 ? this.selector : 0;
    }
    let v = 0;
    for (let i = 0; i < size; i++) {
      const b = this.pos < this.current.length ? this.current[this.pos]! : 0;
      this.pos++;
      v |= b << (8 * i);
    }
    this.stats.bytesRead += size;
    return v >>> 0;
  }

  write(offset: number, _size: AccessSize, value: number): void {
    if (offset !== 0) {
      this.stats.ignored++;
      return;
    }
    this.selector = value & 0xffff;
    this.current = this.item(this.selector);
    this.pos = 0;
    this.stats.selects++;
  }
}
