/**
 * Power-off / exit-code port, the role QEMU's isa-debug-exit plays in test harnesses:
 * a write of any size powers the VM off, and the value written is the run's exit code.
 */
import type { AccessSize } from '../../vmm/exits.js';
import type { BusDevice } from '../../vmm/bus.js';

export const POWER_PORT = 0xf4;
export const POWER_PORT_COUNT = 4;

export class PowerPort implements BusDevice {
  readonly name = 'power';
  poweredOff = false;
  exitCode = 0;

  constructor(private readonly onPowerOff?: (exitCode: number) => void) {}

  read(_offset: number, _size: AccessSize): number {
    return 0;
  }

  /** Only the first write counts: the VM is off after it, whatever else the guest does. */
  write(_offset: number, _size: AccessSize, value: number): void {
    if (this.poweredOff) return;
    this.poweredOff = true;
    this.exitCode = value >>> 0;
    this.onPowerOff?.(this.exitCode);
  }
}
