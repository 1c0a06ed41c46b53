import t from 'tap';
import { Timer } from '../../devices/timer/timer.js';
import { VirtualClock } from '../../vmm/clock.js';
import { Bus } from '../../vmm/bus.js';

const HZ = 2.93e9;

function setup() {
  const clock = new VirtualClock();
  const fires: number[] = [];
  const timer = new Timer(clock, { raise: () => fires.push(clock.now) }, HZ);
  const ports = new Bus('ports');
  ports.map(0x40, 8, timer);
  return { clock, fires, timer, ports };
}

t.test('fires IRQ 0 every period on virtual time', async (t) => {
  const { clock, fires, ports } = setup();
  ports.write(0x40, 4, 100); // 100 µs = 293,000 cycles
  t.equal(ports.read(0x40, 4), 100);
  t.equal(clock.nextDeadline(), 293_000);
  clock.advance(292_999);
  t.equal(clock.runDue(), 0);
  clock.advance(1);
  t.equal(clock.runDue(), 1);
  t.same(fires, [293_000]);
  clock.advance(293_000 * 3 + 5);
  t.equal(clock.runDue(), 3, 'a late VMM catches up on every period');
  t.equal(clock.nextDeadline(), 293_000 * 5, 'deadlines do not drift');
});

t.test('writing 0 stops it; a new period restarts from now', async (t) => {
  const { clock, timer, ports } = setup();
  ports.write(0x40, 4, 10);
  clock.advance(29_300);
  clock.runDue();
  ports.write(0x40, 4, 0);
  t.equal(clock.nextDeadline(), Infinity);
  clock.advance(1_000_000);
  t.equal(clock.runDue(), 0);
  t.equal(timer.fired, 1);
  ports.write(0x40, 4, 1);
  t.equal(clock.nextDeadline(), clock.now + 2930);
});

t.test('narrow writes merge bytes; time port reads virtual microseconds', async (t) => {
  const { clock, ports, timer } = setup();
  ports.write(0x40, 1, 0x10);
  ports.write(0x41, 1, 0x27);
  t.equal(timer.period, 10_000);
  t.equal(ports.read(0x40, 2), 10_000);
  ports.write(0x40, 4, 0);
  clock.advance(2930 * 1234 + 17);
  t.equal(ports.read(0x44, 4), 1234);
  t.equal(ports.read(0x44, 1), 1234 & 0xff);
});
