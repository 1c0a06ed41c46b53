/**
 * vm.runAsync(): the same guest behaviour as run(), with turns of Node's event loop between
 * slices (so UDP sockets deliver) and idle hlt paced by host time. The end-to-end case is a
 * polling UDP echo guest behind the slirp backend, driven by a real socket on 127.0.0.1.
 */
import t from 'tap';
import { createSocket } from 'node:dgram';
import { bootRom } from '../../firmware/build.js';
import { defaultGuest } from '../../guest-os/build.js';
import { assemble } from '../../toolchain/as/assemble.js';
import { SlirpUdpBackend } from '../../devices/virtio/net/slirp-udp.js';
import { STATUS_DRIVER_OK } from '../../devices/virtio/mmio/device.js';
import { formatPerfKvmStat } from '../../vmm/stats.js';
import { Vm } from '../../vmm/vm.js';

function hello(): { vm: Vm; out: () => string } {
  let out = '';
  const vm = new Vm({ kernel: defaultGuest(), firmware: bootRom(), console: (b) => { out += String.fromCharCode(b); } });
  return { vm, out: () => out };
}

t.test('runAsync gives the result, console and exit table of run()', async (t) => {
  const a = hello();
  const ra = a.vm.run();
  const b = hello();
  let turns = 0;
  const timer = setInterval(() => { turns++; }, 1);
  const started = performance.now();
  const rb = await b.vm.runAsync();
  const took = performance.now() - started;
  clearInterval(timer);
  t.same(rb, ra);
  t.equal(b.out(), a.out());
  t.equal(formatPerfKvmStat(b.vm.stats, b.vm.profile.cpuHz), formatPerfKvmStat(a.vm.stats, a.vm.profile.cpuHz));
  t.ok(turns > 0, `the event loop ran meanwhile (${turns} timer callbacks)`);
  // The guest sleeps 5 timer ticks of 1 ms in hlt: idle time is paced by host time.
  t.ok(took >= 4, `idle virtual time cost host time (${took.toFixed(1)} ms)`);
});

t.test('run() stays deterministic after runAsync exists: two runs, identical figures', async (t) => {
  const a = hello().vm.run();
  const b = hello().vm.run();
  t.same(a, b);
});

/**
 * A polling UDP echo over virtio-net in slot 0: posts one receive buffer, waits for a frame,
 * swaps the Ethernet, IPv4 and UDP source and destination (the checksums stay valid), sends it
 * back, and after ECHOES frames powers off with the number echoed.
 */
const ECHOES = 3;
const echoGuest = assemble(`
_start:
        mov esi, 0xD0000000
        mov [esi + 0x70], 0
        mov [esi + 0x70], 3
        mov [esi + 0x24], 1
        mov [esi + 0x20], 1
        mov [esi + 0x24], 0
        mov [esi + 0x20], 0
        mov [esi + 0x70], 11
        ; queue 0 (receive) and queue 1 (transmit), 8 entries each
        mov [esi + 0x30], 0
        mov [esi + 0x38], 8
        mov [esi + 0x80], 0x10000
        mov [esi + 0x90], 0x10100
        mov [esi + 0xa0], 0x10200
        mov [esi + 0x44], 1
        mov [esi + 0x30], 1
        mov [esi + 0x38], 8
        mov [esi + 0x80], 0x11000
        mov [esi + 0x90], 0x11100
        mov [esi + 0xa0], 0x11200
        mov [esi + 0x44], 1
        mov [esi + 0x70], 15
        ; receive descriptor 0: 2048 device-writable bytes at 0x20000
        mov [0x10000], 0x20000
        mov [0x10004], 0
        mov [0x10008], 2048
        movw [0x1000c], 2
        ; transmit descriptor 0: the same buffer, length set per frame
        mov [0x11000], 0x20000
        mov [0x11004], 0
        movw [0x1100c], 0
        mov ebx, 0
post:
        mov eax, ebx
        and eax, 7
        shl eax, 1
        movw [0x10104 + eax], 0
        mov eax, ebx
        inc eax
        movw [0x10102], eax
        mov [esi + 0x50], 0
wait:
        movzxw eax, [0x10202]
        cmp eax, ebx
        je wait
        ; used.ring[ebx % 8].len
        mov eax, ebx
        and eax, 7
        shl eax, 3
        mov ecx, [0x10208 + eax]
        mov [0x11008], ecx
        ; swap MACs (frame at 0x2000c)
        mov eax, [0x2000c]
        mov edx, [0x20012]
        mov [0x2000c], edx
        mov [0x20012], eax
        movzxw eax, [0x20010]
        movzxw edx, [0x20016]
        movw [0x20010], edx
        movw [0x20016], eax
        ; swap IPv4 addresses and UDP ports
        mov eax, [0x20026]
        mov edx, [0x2002a]
        mov [0x20026], edx
        mov [0x2002a], eax
        movzxw eax, [0x2002e]
        movzxw edx, [0x20030]
        movw [0x2002e], edx
        movw [0x20030], eax
        ; transmit and wait for it to complete
        mov eax, ebx
        and eax, 7
        shl eax, 1
        movw [0x11104 + eax], 0
        mov eax, ebx
        inc eax
        movw [0x11102], eax
        mov [esi + 0x50], 1
sent:
        movzxw edx, [0x11202]
        cmp edx, eax
        jne sent
        inc ebx
        cmp ebx, ${ECHOES}
        jne post
        outd 0xf4, ebx
        hlt
`, { file: 'udp-echo.s' }).image;

t.test('a guest echoes datagrams from a host socket through the slirp backend', { timeout: 120_000 }, async (t) => {
  const backend = await SlirpUdpBackend.open({ hostPort: 0, guestPort: 7 });
  const vm = new Vm({ kernel: echoGuest, firmware: bootRom(), nets: [backend], maxInstructions: 2_000_000_000 });
  const client = createSocket('udp4');
  await new Promise<void>((r) => client.bind(0, '127.0.0.1', r));
  t.teardown(() => { client.close(); vm.close(); });
  const replies: string[] = [];
  const from: number[] = [];
  const send = (i: number): void => { client.send(Buffer.from(`datagram ${i}`), backend.hostPort, '127.0.0.1'); };
  client.on('message', (msg, r) => {
    replies.push(msg.toString());
    from.push(r.port);
    if (replies.length < ECHOES) send(replies.length);
  });
  // Send the first datagram once the guest's driver is up (earlier frames would be dropped).
  const ready = setInterval(() => {
    if (vm.slots[0]!.transport.status & STATUS_DRIVER_OK && vm.slots[0]!.transport.queues[0]!.ready) {
      clearInterval(ready);
      send(0);
    }
  }, 1);
  const r = await vm.runAsync();
  clearInterval(ready);
  t.equal(r.stop, 'poweroff', r.message);
  t.equal(r.exitCode, ECHOES);
  await new Promise((res) => setTimeout(res, 50)); // the last reply is on its way through the host
  t.same(replies, ['datagram 0', 'datagram 1', 'datagram 2']);
  t.same(from, [backend.hostPort, backend.hostPort, backend.hostPort], 'replies come from HOSTPORT');
  t.equal(vm.net[0]!.stats.rxFrames, ECHOES);
  t.equal(vm.net[0]!.stats.txFrames, ECHOES);
  t.equal(backend.stats.toGuest, ECHOES);
  t.equal(backend.stats.toHost, ECHOES);
  t.equal(backend.stats.malformed, 0);
  t.ok(vm.stats.countOf('mmio', 'virtio-net0') > 0, 'exits on virtio-net0');
});
