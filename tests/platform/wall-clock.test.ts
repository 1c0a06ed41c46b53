/**
 * runAsync({ clock: 'wall' }) (docs/platform.md §5), what `vamos serve` runs in: the virtual
 * clock follows the host clock through idle time, never runs ahead of it and never goes back,
 * and a host frame ends an idle sleep at once rather than at the guest's next timer event.
 * The guest OS runs udpecho behind an in-process gateway; the host sends two datagrams, 300 ms
 * apart, with a kernel tick of 100 ms and host sleeps of up to 200 ms allowed.
 */
import t from 'tap';
import { VirtualHost } from '../../devices/virtio/net/virtual-host.js';
import { osMachine } from '../../testing/os.js';

t.test('wall-clock mode', async (t) => {
  const host = new VirtualHost();
  let text = '';
  const timers: NodeJS.Timeout[] = [];
  const m = osMachine({
    programs: ['init', 'udpecho'], cmdline: 'tick=100000 run=udpecho:7:2', nets: [host.guestSide],
    onConsole: (b) => {
      text += String.fromCharCode(b);
      // Once the guest listens: two datagrams, 300 ms apart, the first 200 ms later.
      if (b === 10 && text.endsWith('udpecho: listening on port 7\n')) timers.push(setTimeout(send, 200), setTimeout(send, 500));
    },
  });
  const vm = m.vm;
  const hz = vm.profile.cpuHz;
  const latencies: number[] = [];
  let sentAt = 0;
  host.onDatagram = () => { latencies.push(performance.now() - sentAt); };
  const send = (): void => { sentAt = performance.now(); host.send(5000, 7, new TextEncoder().encode('ping')); };
  const clock: number[] = [];
  const sampler = setInterval(() => clock.push(vm.clock.now), 5);
  const start = performance.now();
  const r = await m.runAsync({ clock: 'wall', maxIdleMs: 200 });
  const hostMs = performance.now() - start;
  clearInterval(sampler);
  for (const x of timers) clearTimeout(x);

  t.equal(r.stop, 'poweroff', r.message);
  t.match(r.console, /udpecho: echoed 2 datagrams/);
  const virtualMs = (r.cycles / hz) * 1e3;
  t.ok(hostMs >= 500, `the run lasted until the second datagram (${hostMs.toFixed(0)} ms)`);
  t.ok(virtualMs <= hostMs + 2, `never ahead of the host: ${virtualMs.toFixed(1)} virtual ms in ${hostMs.toFixed(1)} host ms`);
  t.ok(virtualMs >= hostMs * 0.8, `idle time passed for the guest as on the host (${virtualMs.toFixed(1)} of ${hostMs.toFixed(1)} ms)`);
  t.ok(clock.every((c, i) => i === 0 || c >= clock[i - 1]!), `the clock never went back (${clock.length} samples)`);
  t.equal(latencies.length, 2);
  // Without the wake-up, an echo would wait for the guest's next 100 ms tick or the 200 ms sleep.
  t.ok(Math.max(...latencies) < 60, `a host frame ends the idle sleep: echoes after ${latencies.map((l) => l.toFixed(1)).join(' and ')} ms`);
});
