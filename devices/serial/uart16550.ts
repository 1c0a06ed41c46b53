/**
 * The console: a 16550 subset (docs/devices.md). Transmission is instantaneous in virtual
 * time, so THR is always empty again by the next guest instruction and the divisor latch has
 * no effect on timing; it is kept because drivers program it. Host input waits in an
 * unbounded queue (it is the VMM's buffer, not the chip's 16-byte FIFO), so there is never an
 * overrun. The IRQ output is not gated by MCR.OUT2.
 */
import type { AccessSize } from '../../vmm/exits.js';
import type { BusDevice } from '../../vmm/bus.js';
import type { IrqLine } from '../pic/pic.js';

export const COM1_PORT = 0x3f8;
export const COM1_IRQ = 4;
export const UART_PORT_COUNT = 8;

export const IER_RDA = 0x01;
export const IER_THRE = 0x02;
export const LCR_DLAB = 0x80;
export const LSR_DR = 0x01;
export const LSR_THRE = 0x20;
export const LSR_TEMT = 0x40;
export const IIR_NONE = 0x01;
export const IIR_THRE = 0x02;
export const IIR_RDA = 0x04;
const IIR_FIFO = 0xc0;
const FCR_ENABLE = 0x01;
const FCR_CLEAR_RX = 0x02;
/** CTS, DSR and DCD asserted: a cable is always plugged in. */
const MSR_CONNECTED = 0xb0;

export interface UartOptions {
  sink: (byte: number) => void;
  irq?: IrqLine;
  name?: string;
}

interface Register {
  readonly name: string;
  readonly read: (u: Uart16550) => number;
  readonly write: (u: Uart16550, v: number) => void;
}

const ignore = (): void => {};

export class Uart16550 implements BusDevice {
  /** Offsets 0-7 with DLAB clear; offsets 0 and 1 are replaced by DLAB_REGISTERS when it is set. */
  private static readonly REGISTERS: readonly Register[] = [
    { name: 'RBR/THR', read: (u) => u.receive(), write: (u, v) => u.transmit(v) },
    { name: 'IER', read: (u) => u.ier, write: (u, v) => u.setIer(v) },
    { name: 'IIR/FCR', read: (u) => u.readIir(), write: (u, v) => u.setFcr(v) },
    { name: 'LCR', read: (u) => u.lcr, write: (u, v) => { u.lcr = v; } },
    { name: 'MCR', read: (u) => u.mcr, write: (u, v) => { u.mcr = v & 0x1f; } },
    { name: 'LSR', read: (u) => u.lsr(), write: ignore },
    { name: 'MSR', read: () => MSR_CONNECTED, write: ignore },
    { name: 'SCR', read: (u) => u.scr, write: (u, v) => { u.scr = v; } },
  ];

  private static readonly DLAB_REGISTERS: readonly Register[] = [
    { name: 'DLL', read: (u) => u.divisor & 0xff, write: (u, v) => { u.divisor = (u.divisor & 0xff00) | v; } },
    { name: 'DLM', read: (u) => u.divisor >> 8, write: (u, v) => { u.divisor = (u.divisor & 0xff) | (v << 8); } },
  ];

  readonly name: string;
  ier = 0;
  lcr = 0x03;
  mcr = 0;
  scr = 0;
  /** 1 = 115200 baud; only ever read back. */
  divisor = 1;
  private fifoEnabled = false;
  private threPending = false;
  private irqLevel = false;
  private readonly input: number[] = [];
  private inputHead = 0;
  private readonly sink: (byte: number) => void;
  private readonly irq: IrqLine | undefined;

  constructor(opts: UartOptions) {
    this.sink = opts.sink;
    this.irq = opts.irq;
    this.name = opts.name ?? 'uart16550';
  }

  get inputPending(): number {
    return this.input.length - this.inputHead;
  }

  pushInput(bytes: Uint8Array): void {
    for (const b of bytes) this.input.push(b);
    this.updateIrq();
  }

  /** Registers are 8 bits wide: a wider access touches the one register at `offset`. */
  read(offset: number, _size: AccessSize): number {
    return this.register(offset)?.read(this) ?? 0xff;
  }

  write(offset: number, _size: AccessSize, value: number): void {
    this.register(offset)?.write(this, value & 0xff);
  }

  private register(offset: number): Register | undefined {
    if ((this.lcr & LCR_DLAB) !== 0 && offset < 2) return Uart16550.DLAB_REGISTERS[offset];
    return Uart16550.REGISTERS[offset];
  }

  private receive(): number {
    if (this.inputPending === 0) return 0;
    const b = this.input[this.inputHead++]!;
    if (this.inputHead > 4096 && this.inputHead * 2 > this.input.length) {
      this.input.splice(0, this.inputHead);
      this.inputHead = 0;
    }
    this.updateIrq();
    return b;
  }

  private transmit(v: number): void {
    // Writing THR clears a THRE interrupt; the byte leaves at once, so THR is empty again
    // and the interrupt comes back: one edge per byte, as on the chip with FIFOs off.
    this.threPending = false;
    this.updateIrq();
    this.sink(v);
    this.threPending = true;
    this.updateIrq();
  }

  private setIer(v: number): void {
    // Enabling ETBEI while THR is empty raises THRE at once, which drivers rely on to start output.
    if ((v & IER_THRE) !== 0 && (this.ier & IER_THRE) === 0) this.threPending = true;
    this.ier = v & 0x0f;
    this.updateIrq();
  }

  private setFcr(v: number): void {
    this.fifoEnabled = (v & FCR_ENABLE) !== 0;
    if ((v & FCR_CLEAR_RX) !== 0) {
      this.input.length = 0;
      this.inputHead = 0;
    }
    this.updateIrq();
  }

  private lsr(): number {
    return LSR_THRE | LSR_TEMT | (this.inputPending > 0 ? LSR_DR : 0);
  }

  private iir(): number {
    const fifo = this.fifoEnabled ? IIR_FIFO : 0;
    if ((this.ier & IER_RDA) !== 0 && this.inputPending > 0) return fifo | IIR_RDA;
    if ((this.ier & IER_THRE) !== 0 && this.threPending) return fifo | IIR_THRE;
    return fifo | IIR_NONE;
  }

  private readIir(): number {
    const v = this.iir();
    if ((v & 0x0f) === IIR_THRE) {
      this.threPending = false;
      this.updateIrq();
    }
    return v;
  }

  /** The PIC is edge-triggered: signal only a rise of the chip's interrupt output. */
  private updateIrq(): void {
    const level = (this.iir() & IIR_NONE) === 0;
    if (level && !this.irqLevel) this.irq?.raise();
    this.irqLevel = level;
  }
}
