/**
 * A port that accepts everything and does nothing: the cheapest possible device model, so a
 * benchmark loop on it (0x80, the PC's POST/delay port) measures the exit path alone.
 */
import type { AccessSize } from '../../vmm/exits.js';
import type { BusDevice } from '../../vmm/bus.js';

export const NULL_PORT = 0x80;

export class NullPort implements BusDevice {
  constructor(readonly name = 'null') {}

  read(_offset: number, _size: AccessSize): number {
    return 0;
  }

  write(_offset: number, _size: AccessSize, _value: number): void {}
}
