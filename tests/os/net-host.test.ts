/**
 * The host test: the OS boots with udpecho on a virtio-net device whose backend is the
 * user-mode UDP network (devices/virtio/net/slirp-udp.ts, `--net udp:HOSTPORT:7`), runs with
 * vm.runAsync(), and a Node dgram socket on 127.0.0.1 sends it datagrams of 1 to 1400 bytes of
 * random data; each must come back intact, from HOSTPORT.
 */
import t from 'tap';
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootMain } from '../../cli/boot.js';
import type { Io } from '../../cli/io.js';
import { MemoryBackend } from '../../devices/virtio/blk/backend.js';
import { SlirpUdpBackend } from '../../devices/virtio/net/slirp-udp.js';
import { bootRom } from '../../firmware/build.js';
import { osBootDisk } from '../../testing/os.js';
import { Vm } from '../../vmm/vm.js';

const sizes = [1, 2, 3, 8, 63, 64, 65, 255, 256, 511, 512, 513, 1000, 1024, 1399, 1400];

function reply(sock: Socket, ms: number): Promise<{ msg: Buffer; port: number }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sock.removeAllListeners('message');
      reject(new Error(`no echo within ${ms} ms`));
    }, ms);
    sock.once('message', (msg, rinfo) => {
      clearTimeout(timer);
      resolve({ msg, port: rinfo.port });
    });
  });
}

t.test('udpecho answers a host program through the UDP backend', async (t) => {
  const { disk } = osBootDisk({ programs: ['init', 'udpecho'] });
  const backend = await SlirpUdpBackend.open({ hostPort: 0, guestPort: 7 });
  let text = '';
  let listening: () => void = () => {};
  const ready = new Promise<void>((resolve) => { listening = resolve; });
  const vm = new Vm({
    firmware: bootRom(), cmdline: `run=udpecho:7:${sizes.length}`,
    disks: [{ backend: new MemoryBackend(disk.length / 512, true, disk), readOnly: true }],
    nets: [backend],
    console: (b) => {
      text += String.fromCharCode(b);
      if (b === 10 && text.includes('udpecho: listening on port 7\n')) listening();
    },
  });
  const run = vm.runAsync();
  const client = createSocket('udp4');
  await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', resolve));
  try {
    let started = false;
    const early = run.then((r) => {
      if (!started) throw new Error(`the guest stopped before udpecho listened: ${r.message}\n${text}`);
    });
    early.catch(() => {});
    await Promise.race([ready, early]);
    started = true;
    for (const n of sizes) {
      const data = randomBytes(n);
      const answer = reply(client, 10_000);
      client.send(data, backend.hostPort, '127.0.0.1');
      const { msg, port } = await answer;
      t.ok(msg.equals(data), `${n} bytes came back intact`);
      t.equal(port, backend.hostPort, 'from the forwarded port');
    }
    const r = await run;
    t.equal(r.stop, 'poweroff', r.message);
    t.equal(r.exitCode, 0, text);
    t.match(text, `udpecho: echoed ${sizes.length} datagrams`);
    t.equal(backend.stats.toGuest, sizes.length);
    t.equal(backend.stats.toHost, sizes.length);
    t.equal(backend.stats.malformed, 0);
  } finally {
    client.close();
    vm.close();
  }
});

/** A port nobody uses right now (bound and released: a small race, fine on 127.0.0.1). */
async function freePort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const port = s.address().port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

t.test('the same through the command line: vamos boot DISK --net udp:HOSTPORT:7', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vamos-net-'));
  const diskPath = join(dir, 'boot.img');
  const count = 4;
  writeFileSync(diskPath, osBootDisk({ programs: ['init', 'udpecho'], diskCmdline: `run=udpecho:7:${count}` }).disk);
  const hostPort = await freePort();
  let text = '';
  let listening: () => void = () => {};
  const ready = new Promise<void>((resolve) => { listening = resolve; });
  const io: Io = {
    stdout: (s) => { text += s; },
    stderr: (s) => { text += s; },
    console: (b) => {
      text += Buffer.from(b).toString('latin1');
      if (text.includes('udpecho: listening on port 7\n')) listening();
    },
    stdinIsData: false,
  };
  const client = createSocket('udp4');
  await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', resolve));
  try {
    const status = Promise.resolve(bootMain([diskPath, '--net', `udp:${hostPort}:7`], io));
    let started = false;
    const early = status.then((code) => {
      if (!started) throw new Error(`vamos boot ended (${code}) before udpecho listened:\n${text}`);
    });
    early.catch(() => {});
    await Promise.race([ready, early]);
    started = true;
    for (const n of [1, 100, 1400, 700].slice(0, count)) {
      const data = randomBytes(n);
      const answer = reply(client, 10_000);
      client.send(data, hostPort, '127.0.0.1');
      const { msg } = await answer;
      t.ok(msg.equals(data), `${n} bytes came back intact`);
    }
    t.equal(await status, 0, 'vamos boot exits 0');
    t.match(text, `udpecho: echoed ${count} datagrams`);
  } finally {
    client.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
