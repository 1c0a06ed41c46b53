/**
 * A user program over a module channel (docs/guest-os.md system calls 22-24, docs/virtio.md
 * virtio-modchan): the kernel driver binds to the device by the module's name, operations are
 * submitted four at once and reaped by tag and by "any", and bad input gets the documented
 * error codes without reaching the module.
 */
import t from 'tap';
import { ModuleRegistry } from '../../middleware/host/registry.js';
import type { HypervisorModule } from '../../middleware/host/module.js';
import { buildTestProgram, osMachine } from '../../testing/os.js';
import { projectFile } from '../../vmm/paths.js';
import { VirtioModchan } from '../../devices/virtio/modchan/device.js';
import { HostThreads } from '../../devices/virtio/mmio/host-threads.js';

const rev: HypervisorModule = {
  name: 'rev',
  kind: 'ts',
  call(op, request, response) {
    if (op !== 1) return { status: -38, cycles: 0 };
    response.set(request.slice().reverse());
    return { status: request.length, cycles: 5000 };
  },
};

t.test('a user program keeps four operations in flight on a module channel and gets the documented errors', async (t) => {
  const program = buildTestProgram(projectFile('tests', 'os', 'programs', 'chancall'));
  // The device exists before the VM (it takes a slot), the registry and the clock after it (as dbMachine does).
  let registry: ModuleRegistry | undefined;
  const threads = new HostThreads(undefined, 1);
  const device = new VirtioModchan({ threads, endpoint: { name: 'rev', invoke: (op, req, cap) => registry!.invoke(registry!.handleOf('rev')!, op, req, cap) } });
  const m = osMachine({ programs: ['init'], extraPrograms: { chancall: program }, cmdline: 'run=chancall', devices: [device] });
  registry = new ModuleRegistry(m.vm);
  registry.add(rev);
  threads.attach(m.vm.clock);
  const r = m.run();
  t.equal(r.exitCode, 0, r.console);
  t.match(r.console, /^virtio-modchan0: module rev, 1 host thread, slot \d+$/m, 'the driver read the module name from the configuration space');
  t.match(r.console, /^open missing: no such file$/m);
  t.match(r.console, /^reap 2: 5 edcb2$/m, 'reaped by tag, out of order');
  t.match(r.console, /^reaped the rest: yes$/m);
  t.match(r.console, /^reap none: no such file$/m, 'nothing out: -E_NOENT, not a hang');
  t.match(r.console, /^bad op: not implemented$/m, 'the module\'s own error comes back as the status');
  t.match(r.console, /^bad buffer: bad address$/m);
  t.match(r.console, /^bad flags: invalid argument$/m);
  t.match(r.console, /^bad channel: invalid argument$/m);
  t.match(r.console, /^bad wait: invalid argument$/m);
  t.equal(registry.stats.get('rev')!.calls, 5, 'four operations and the bad op reached the module; the refused ones did not');
  t.equal(device.stats.maxInFlight, 4, 'the four submissions were out at once');
  const transport = m.vm.slots.find((x) => x.device === device)!.transport;
  t.equal(transport.stats.notifications, 2, 'one notification for the batch of four (CHAN_MORE), one for the bad op');
  t.equal(r.stats.countOf('vmcall', 'module/rev'), 0, 'no hypercalls: the channel carried everything');
});
