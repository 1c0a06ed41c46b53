/**
 * `vamos serve` under load and abuse (issue 8), with a Node RESP client: 1,000 pipelined
 * requests on one connection and 20 connections at once get every reply, in order per
 * connection; a client that disconnects mid-request, sends garbage or a 10 MB bulk string gets
 * an error or a closed connection while the server and the VMM go on; and what was
 * acknowledged is on the volume after Ctrl-C, also for the other placement.
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RespError, type RespValue } from '../../middleware/workload/resp.js';
import { loadRun } from '../../vmm/report/load.js';
import { RespClient, startServe, text, type Served } from './serve-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'vamos-serve-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const volume = join(dir, 'db.img');
const trace = join(dir, 'serve.trace');

const isError = (v: RespValue): boolean => v instanceof RespError;

t.test('one server: pipelines, many connections, bad clients', async (t) => {
  const served: Served = await startServe(['--placement', 'guest', '--volume', volume, '--volume-size', '16M', '--trace', trace]);
  t.teardown(() => { if (served.child.exitCode === null) served.child.kill('SIGKILL'); });

  await t.test('1,000 pipelined requests on one connection', async (t) => {
    const c = await RespClient.open(served.port);
    const cmds: string[][] = [];
    for (let i = 0; i < 1000; i++) cmds.push(i % 2 === 0 ? ['SET', `p:${i}`, `value-${i}`] : ['GET', `p:${i - 1}`]);
    const replies = await c.pipeline(cmds);
    t.equal(replies.length, 1000);
    const wrong = replies.findIndex((r, i) => (i % 2 === 0 ? r !== 'OK' : text(r) !== `value-${i - 1}`));
    t.equal(wrong, -1, 'every reply, in order');
    c.close();
  });

  await t.test('20 connections at once', async (t) => {
    const clients = await Promise.all(Array.from({ length: 20 }, () => RespClient.open(served.port)));
    const all = await Promise.all(clients.map((c, j) => c.pipeline(Array.from({ length: 50 }, () => ['INCR', `c:${j}`]))));
    for (const [j, replies] of all.entries()) t.same(replies, Array.from({ length: 50 }, (_, i) => i + 1), `connection ${j}: 1..50 in order`);
    for (const c of clients) c.close();
  });

  await t.test('clients that disconnect in the middle of a request', async (t) => {
    // 100 of them, more than the server's 64 connection slots: each one's slot must be freed.
    for (let i = 0; i < 100; i++) {
      const c = await RespClient.open(served.port);
      c.socket.write('*3\r\n$3\r\nSET\r\n$4\r\nhalf\r\n$5\r\nva');
      c.socket.destroy();
    }
    const all = await Promise.all(Array.from({ length: 64 }, () => RespClient.open(served.port)));
    const replies = await Promise.all(all.map((c) => c.send('PING')));
    t.same(replies, Array(64).fill('PONG'), 'then 64 connections at once are all served: every slot was freed');
    t.equal(await all[0]!.send('EXISTS', 'half'), 0, 'the half requests did nothing');
    // A closed stream means the server has freed the slot (the gateway ends it after the
    // server acknowledged the CLOSE); a client that came sooner could find all 64 taken.
    for (const c of all) c.close();
    await Promise.all(all.map((c) => c.closed));
  });

  await t.test('garbage', async (t) => {
    const c = await RespClient.open(served.port);
    const r = await c.send('\x00\x01\xfe', 'garbage');
    t.ok(isError(r), `an error reply: ${String((r as RespError).message ?? r)}`);
    const bad = await RespClient.open(served.port);
    bad.socket.write('*abc\r\n');
    const seen: Buffer[] = [];
    bad.socket.on('data', (d) => seen.push(d));
    await bad.closed;
    t.match(Buffer.concat(seen).toString(), /^-ERR Protocol error: invalid multibulk length\r\n$/, 'a protocol error, then the server closes');
    t.equal(await c.send('PING'), 'PONG', 'the other connection goes on');
    c.close();
  });

  await t.test('a 10 MB bulk string', async (t) => {
    const c = await RespClient.open(served.port);
    const seen: Buffer[] = [];
    c.socket.on('data', (d) => seen.push(d));
    const big = Buffer.alloc(10 << 20, 0x61);
    c.socket.write(`*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$${big.length}\r\n`);
    c.socket.write(big);
    c.socket.write('\r\n');
    await c.closed;
    t.match(Buffer.concat(seen).toString(), /^-ERR Protocol error: invalid bulk length\r\n$/, 'an error, then a closed connection');
    const d = await RespClient.open(served.port);
    t.equal(await d.send('EXISTS', 'big'), 0, 'nothing was stored');
    t.equal(text(await d.send('GET', 'p:998')), 'value-998', 'the server goes on with its data');
    d.close();
  });

  const code = await served.stop();
  t.equal(code, 0, 'Ctrl-C stops it cleanly');
  t.match(served.stdout(), /dbserver: shut down \(ok\)/);
  // --trace recorded the session: the same exits as the table serve printed.
  const run = loadRun(trace);
  const total = /Total Samples:(\d+)/.exec(served.stdout());
  t.equal(run.exits.length, Number(total?.[1]), 'the trace holds every exit of the exit table');
  t.ok(run.exits.some((e) => e.device === 'virtio-net0' && e.fn.startsWith('virtio')), 'network exits, attributed to the guest driver functions');
});

// Reopens the volume the test above wrote (run the file, not this test alone).
t.test('what was acknowledged is on the volume, also for the VAMOS placement', async (t) => {
  const served = await startServe(['--placement', 'vamos', '--volume', volume]);
  t.teardown(() => { if (served.child.exitCode === null) served.child.kill('SIGKILL'); });
  const c = await RespClient.open(served.port);
  t.equal(await c.send('DBSIZE'), 500 + 20, '500 SETs and 20 counters');
  t.equal(text(await c.send('GET', 'p:0')), 'value-0');
  t.equal(await c.send('INCR', 'c:19'), 51);
  c.close();
  t.equal(await served.stop(), 0);
});
