import t from 'tap';
import { PowerPort } from '../../devices/power/power.js';
import { NullPort } from '../../devices/null/null-port.js';
import { Bus } from '../../vmm/bus.js';

t.test('a write to 0xF4 powers off with the value as exit code', async (t) => {
  const codes: number[] = [];
  const power = new PowerPort((c) => codes.push(c));
  const ports = new Bus('ports');
  ports.map(0xf4, 4, power);
  t.equal(power.poweredOff, false);
  ports.write(0xf4, 4, 3);
  t.equal(power.poweredOff, true);
  t.equal(power.exitCode, 3);
  ports.write(0xf4, 1, 7);
  t.equal(power.exitCode, 3, 'the first write wins');
  t.same(codes, [3]);
  t.equal(ports.read(0xf4, 4), 0);
});

t.test('the null port swallows everything', async (t) => {
  const ports = new Bus('ports');
  ports.map(0x80, 1, new NullPort());
  ports.write(0x80, 4, 0xdeadbeef);
  t.equal(ports.read(0x80, 4), 0);
  t.equal(ports.find(0x80)?.device.name, 'null');
  t.equal(ports.unmappedReads + ports.unmappedWrites, 0);
});
