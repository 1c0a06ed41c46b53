/**
 * `vamos serve` with the standard Redis client (issue 8): redis-cli gets the same replies from
 * the database in the guest, in both placements (the hypervisor one over both transports,
 * `--transport vmcall|virtio`), as from a real redis-server given the same
 * commands. redis-cli and redis-server come from Debian's redis-tools and redis-server
 * packages, which .ci/run installs; without redis-cli the test skips, without redis-server it
 * compares with the replies redis-server 7 gave when the test was written.
 */
import t from 'tap';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { startServe } from './serve-harness.js';
import { freePort } from '../../testing/serve.js';

const REDIS_CLI = '/usr/bin/redis-cli';
const REDIS_SERVER = '/usr/bin/redis-server';

/** Commands on a fresh database, and what redis-cli printed for each against redis-server 7.0. */
const SESSION: [string[], string][] = [
  [['PING'], 'PONG\n'],
  [['SET', 'greeting', 'hello world'], 'OK\n'],
  [['GET', 'greeting'], 'hello world\n'],
  [['GET', 'missing'], '\n'],
  [['INCR', 'counter'], '1\n'],
  [['INCR', 'counter'], '2\n'],
  [['INCR', 'greeting'], 'ERR value is not an integer or out of range\n\n'],
  [['MGET', 'greeting', 'counter', 'missing'], 'hello world\n2\n\n'],
  [['DBSIZE'], '2\n'],
  [['EXISTS', 'greeting', 'missing', 'counter'], '2\n'],
  [['SET', 'greeting', 'again', 'NX'], '\n'],
  [['SET', 'greeting', 'again', 'XX', 'GET'], 'hello world\n'],
  [['DEL', 'greeting', 'counter', 'missing'], '2\n'],
  [['DBSIZE'], '0\n'],
  [['NOSUCHCMD', 'a'], "ERR unknown command 'NOSUCHCMD', with args beginning with: 'a' \n\n"],
];

function cli(port: number, args: readonly string[]): Promise<{ out: string; code: number }> {
  return new Promise((resolve) => {
    execFile(REDIS_CLI, ['-p', String(port), ...args], { timeout: 30_000 }, (e, stdout) => {
      resolve({ out: stdout, code: e ? (typeof e.code === 'number' ? e.code : -1) : 0 });
    });
  });
}

/** What a real redis-server answers to SESSION, or the recorded answers without one. */
async function reference(): Promise<{ out: string; code: number }[]> {
  if (!existsSync(REDIS_SERVER)) return SESSION.map(([, out]) => ({ out, code: 0 }));
  const port = await freePort();
  const server = spawn(REDIS_SERVER, ['--port', String(port), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 100 && (await cli(port, ['PING'])).out !== 'PONG\n'; i++) await new Promise((r) => setTimeout(r, 50));
    const got = [];
    for (const [args] of SESSION) got.push(await cli(port, args));
    return got;
  } finally {
    server.kill('SIGKILL');
  }
}

t.test('redis-cli gets the replies redis-server gives', { skip: existsSync(REDIS_CLI) ? false : 'redis-cli is not installed' }, async (t) => {
  const expected = await reference();
  // Our table holds what redis-server 7 answered; a different Redis would show here first.
  // (Without redis-server, `expected` is the table itself and there is nothing to compare.)
  if (existsSync(REDIS_SERVER)) t.same(expected.map((e) => e.out), SESSION.map(([, out]) => out), 'the recorded replies are redis-server\'s');
  for (const [placement, transport] of [['guest', undefined], ['vamos', 'vmcall'], ['vamos', 'virtio']] as const) {
    t.test(`the ${placement} placement${transport ? `, ${transport} transport` : ''}`, async (t) => {
      const served = await startServe(['--placement', placement, ...(transport ? ['--transport', transport] : [])]);
      try {
        for (let i = 0; i < SESSION.length; i++) {
          const [args] = SESSION[i]!;
          const got = await cli(served.port, args);
          t.same(got, expected[i], args.join(' '));
        }
      } finally {
        const code = await served.stop();
        t.equal(code, 0, 'Ctrl-C: a clean stop');
        t.match(served.stdout(), /dbserver: shut down \(ok\)/, 'the engine was closed');
        t.match(served.stdout(), /VM-EXIT\s+Samples/, 'the exit table');
        // The engine's operations went where the transport says: hypercalls, or the channel's requests.
        if (transport === 'virtio') t.match(served.stdout(), /virtio-modchan0 \(slot \d+, [^)]*\): \d+ notifications, \d+ interrupts .*, [1-9]\d* requests/);
        if (transport === 'vmcall') t.notMatch(served.stdout(), /virtio-modchan/);
      }
    });
  }
});
