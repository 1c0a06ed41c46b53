import t from 'tap';
import {
  Uart16550, IER_RDA, IER_THRE, IIR_NONE, IIR_RDA, IIR_THRE, LCR_DLAB, LSR_DR, LSR_TEMT, LSR_THRE,
} from '../../devices/serial/uart16550.js';

const THR = 0, IER = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7;

function setup() {
  const out: number[] = [];
  let irqs = 0;
  const uart = new Uart16550({ sink: (b) => out.push(b), irq: { raise: () => irqs++ } });
  return { uart, out, irqs: () => irqs };
}

t.test('transmitted bytes reach the sink', async (t) => {
  const { uart, out, irqs } = setup();
  for (const c of Buffer.from('hi\n')) uart.write(THR, 1, c);
  t.same(out, [0x68, 0x69, 0x0a]);
  t.equal(irqs(), 0, 'no interrupts with IER clear');
  t.equal(uart.read(LSR, 1), LSR_THRE | LSR_TEMT);
});

t.test('input sets DR and raises the received-data interrupt when enabled', async (t) => {
  const { uart, irqs } = setup();
  uart.pushInput(new Uint8Array([1, 2]));
  t.equal(irqs(), 0, 'IER clear: no interrupt');
  t.equal(uart.read(LSR, 1) & LSR_DR, LSR_DR);
  uart.write(IER, 1, IER_RDA);
  t.equal(irqs(), 1, 'enabling with data queued raises');
  t.equal(uart.read(IIR, 1), IIR_RDA);
  t.equal(uart.read(THR, 1), 1);
  t.equal(uart.read(THR, 1), 2);
  t.equal(uart.read(LSR, 1) & LSR_DR, 0);
  t.equal(uart.read(IIR, 1), IIR_NONE);
  t.equal(uart.read(THR, 1), 0, 'empty RBR reads 0');
  uart.pushInput(new Uint8Array([3]));
  t.equal(irqs(), 2, 'a new edge for new data');
  uart.pushInput(new Uint8Array([4]));
  t.equal(irqs(), 2, 'no edge while already pending');
  t.equal(uart.inputPending, 2);
});

t.test('THR-empty interrupt: raised on enable and per byte, cleared by an IIR read', async (t) => {
  const { uart, irqs } = setup();
  uart.write(IER, 1, IER_THRE);
  t.equal(irqs(), 1);
  t.equal(uart.read(IIR, 1), IIR_THRE);
  t.equal(uart.read(IIR, 1), IIR_NONE, 'the IIR read cleared it');
  uart.write(THR, 1, 0x41);
  t.equal(irqs(), 2);
  t.equal(uart.read(IIR, 1), IIR_THRE);
  uart.write(IER, 1, IER_THRE | IER_RDA);
  t.equal(irqs(), 2, 'ETBEI was already on: no new THRE');
  uart.pushInput(new Uint8Array([9]));
  t.equal(uart.read(IIR, 1), IIR_RDA, 'received data outranks THRE');
});

t.test('divisor latch behind DLAB; LCR, MCR, MSR, SCR, FCR', async (t) => {
  const { uart, out } = setup();
  uart.write(LCR, 1, LCR_DLAB | 0x03);
  uart.write(0, 1, 0x0c);
  uart.write(1, 1, 0x00);
  t.equal(uart.divisor, 12);
  t.same(out, [], 'DLL write is not output');
  t.equal(uart.read(0, 1), 0x0c);
  uart.write(LCR, 1, 0x03);
  t.equal(uart.read(LCR, 1), 0x03);
  t.equal(uart.read(IER, 1), 0, 'IER untouched by the DLM write');
  uart.write(MCR, 1, 0xff);
  t.equal(uart.read(MCR, 1), 0x1f);
  t.equal(uart.read(MSR, 1), 0xb0);
  uart.write(SCR, 1, 0x5a);
  t.equal(uart.read(SCR, 1), 0x5a);
  uart.write(FCR, 1, 0x01);
  t.equal(uart.read(IIR, 1), 0xc1, 'FIFO-enabled bits in IIR');
  uart.pushInput(new Uint8Array([1, 2, 3]));
  uart.write(FCR, 1, 0x03);
  t.equal(uart.inputPending, 0, 'FCR clears the receive queue');
  uart.write(LSR, 1, 0);
  t.equal(uart.read(LSR, 1), LSR_THRE | LSR_TEMT, 'LSR is read-only');
});
