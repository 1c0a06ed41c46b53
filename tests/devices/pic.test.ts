import t from 'tap';
import fc from 'fast-check';
import { Pic, PIC_VECTOR_BASE } from '../../devices/pic/pic.js';
import { Bus } from '../../vmm/bus.js';

/** The reference: the 8259's rules written as plainly as possible, with arrays of flags. */
class Model {
  irr = new Array<boolean>(16).fill(false);
  isr = new Array<boolean>(16).fill(false);
  masked = new Array<boolean>(16).fill(true);
  pending(): number {
    for (let l = 0; l < 16; l++) {
      if (this.isr[l]) return -1;
      if (this.irr[l] && !this.masked[l]) return 32 + l;
    }
    return -1;
  }
}

interface Real {
  pic: Pic;
  ports: Bus;
}

type Cmd = fc.Command<Model, Real>;

class Raise implements Cmd {
  constructor(readonly line: number) {}
  check = () => true;
  run(m: Model, r: Real): void {
    m.irr[this.line] = true;
    r.pic.line(this.line).raise();
  }
  toString = () => `raise(${this.line})`;
}

class WriteMask implements Cmd {
  constructor(readonly high: boolean, readonly byte: number) {}
  check = () => true;
  run(m: Model, r: Real): void {
    for (let i = 0; i < 8; i++) m.masked[(this.high ? 8 : 0) + i] = ((this.byte >> i) & 1) === 1;
    r.ports.write(this.high ? 0xa1 : 0x21, 1, this.byte);
    if (r.ports.read(this.high ? 0xa1 : 0x21, 1) !== this.byte) throw new Error('mask readback');
  }
  toString = () => `mask(${this.high ? 'hi' : 'lo'}, ${this.byte.toString(2)})`;
}

class Ack implements Cmd {
  check = () => true;
  run(m: Model, r: Real): void {
    const v = m.pending();
    if (v >= 0) {
      m.irr[v - 32] = false;
      m.isr[v - 32] = true;
    }
    const got = r.pic.acknowledge();
    if (got !== v) throw new Error(`ack: model ${v}, pic ${got}`);
  }
  toString = () => 'ack';
}

class NonSpecificEoi implements Cmd {
  constructor(readonly viaSecondary: boolean) {}
  check = () => true;
  run(m: Model, r: Real): void {
    if (!this.viaSecondary) {
      const l = m.isr.indexOf(true);
      if (l >= 0) m.isr[l] = false;
    }
    r.ports.write(this.viaSecondary ? 0xa0 : 0x20, 1, 0x20);
  }
  toString = () => `eoi(${this.viaSecondary ? '0xa0' : '0x20'})`;
}

class SpecificEoi implements Cmd {
  constructor(readonly line: number) {}
  check = () => true;
  run(m: Model, r: Real): void {
    m.isr[this.line] = false;
    r.ports.write(this.line < 8 ? 0x20 : 0xa0, 1, 0x60 | (this.line & 7));
  }
  toString = () => `eoi-specific(${this.line})`;
}

class ReadRegisters implements Cmd {
  check = () => true;
  run(m: Model, r: Real): void {
    const bits = (a: boolean[]) => a.reduce((acc, b, i) => acc | (b ? 1 << i : 0), 0);
    r.ports.write(0x20, 1, 0x0a);
    r.ports.write(0xa0, 1, 0x0a);
    const irr = r.ports.read(0x20, 1) | (r.ports.read(0xa0, 1) << 8);
    r.ports.write(0x20, 1, 0x0b);
    r.ports.write(0xa0, 1, 0x0b);
    const isr = r.ports.read(0x20, 1) | (r.ports.read(0xa0, 1) << 8);
    if (irr !== bits(m.irr) || isr !== bits(m.isr)) throw new Error(`irr ${irr} isr ${isr} vs model`);
  }
  toString = () => 'read-irr-isr';
}

/** Runs after every command: the whole controller state, not only what the CPU would see. */
class StateCheck implements Cmd {
  check = () => true;
  run(m: Model, r: Real): void {
    const bits = (a: boolean[]) => a.reduce((acc, b, i) => acc | (b ? 1 << i : 0), 0);
    const { pic } = r;
    if (pic.irr !== bits(m.irr) || pic.isr !== bits(m.isr) || pic.mask !== bits(m.masked)) {
      throw new Error(`state: pic irr=${pic.irr} isr=${pic.isr} mask=${pic.mask}`);
    }
    if (pic.pendingVector() !== m.pending()) throw new Error('pendingVector differs');
  }
  toString = () => 'check';
}

const line = fc.integer({ min: 0, max: 15 });
const commands = [
  line.map((l) => new Raise(l)),
  fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 255 })).map(([h, b]) => new WriteMask(h, b)),
  fc.constant(new Ack()),
  fc.boolean().map((s) => new NonSpecificEoi(s)),
  line.map((l) => new SpecificEoi(l)),
  fc.constant(new ReadRegisters()),
];

t.test('PIC agrees with a reference model', async (t) => {
  fc.assert(
    fc.property(fc.commands(commands, { maxCommands: 100, size: 'large' }), (cmds) => {
      const setup = () => {
        const pic = new Pic();
        const ports = new Bus('ports');
        ports.map(0x20, 2, pic);
        ports.map(0xa0, 2, pic.secondary);
        return { model: new Model(), real: { pic, ports } };
      };
      fc.modelRun(setup, [...cmds].flatMap((c) => [c, new StateCheck()]));
    }),
    { numRuns: 300 },
  );
});

t.test('priority, nesting and EOI by example', async (t) => {
  let raised = 0;
  const pic = new Pic(() => raised++);
  pic.mask = 0;
  pic.line(4).raise();
  pic.line(0).raise();
  t.equal(raised, 2);
  t.equal(pic.pendingVector(), PIC_VECTOR_BASE + 0, 'line 0 wins');
  t.equal(pic.acknowledge(), 32);
  t.equal(pic.pendingVector(), -1, 'line 4 waits while 0 is in service');
  pic.eoi();
  t.equal(pic.acknowledge(), 36);
  pic.line(1).raise();
  t.equal(pic.acknowledge(), 33, 'higher priority nests over line 4');
  pic.eoi();
  t.equal(pic.isr, 1 << 4, 'non-specific EOI clears the highest priority in service');
  t.equal(pic.acknowledge(), -1);
  t.throws(() => pic.line(16));
});

t.test('masked lines stay requested and fire when unmasked', async (t) => {
  const pic = new Pic();
  pic.raise(9);
  t.equal(pic.pendingVector(), -1);
  pic.secondary.write(1, 1, 0xfd);
  t.equal(pic.pendingVector(), 41);
  t.equal(pic.read(0, 1), 0, 'IRR low byte by default');
  t.equal(pic.secondary.read(0, 1), 0x02, 'IRR high byte');
});
