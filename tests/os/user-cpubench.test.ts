/**
 * cpubench (guest-os/user/cpubench): the compiler benchmark's CPU-bound programs
 * (tests/cc/corpus/bench_*.c) run as a user process under the kernel, printing the same results
 * as the same sources built by the host's gcc and run natively (when gcc is there), each
 * followed by its virtual time.
 */
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootOs } from '../../testing/os.js';
import { projectFile } from '../../vmm/paths.js';

const names = ['sort', 'crc32', 'sieve', 'matmul', 'strings'];
const hasGcc = spawnSync('gcc', ['--version']).status === 0;

t.test('cpubench prints each result and its time; the results match gcc', async (t) => {
  const r = bootOs({ programs: ['init', 'cpubench'], cmdline: 'run=cpubench' });
  if (r.exitCode !== 0) t.comment(r.console);
  t.equal(r.exitCode, 0, 'exits 0');
  const out = r.console.split('\n');
  const start = out.indexOf('init: vamos userland') + 1;
  const end = out.indexOf('init: cpubench exited with status 0');
  t.ok(start > 0 && end > start, 'init ran cpubench');
  const body = out.slice(start, end);
  const timings = body.filter((l) => l.startsWith('cpubench: '));
  t.same(timings.map((l) => l.replace(/ \d+ us$/, '')), names.map((n) => `cpubench: ${n}`), 'a time line per program, in order');
  for (const l of timings) t.ok(Number(/ (\d+) us$/.exec(l)?.[1]) > 0, `${l}: virtual time passed`);
  const results = body.filter((l) => !l.startsWith('cpubench: '));
  if (!hasGcc) {
    t.equal(results.length, 6, 'six result lines (crc32 prints two)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'vamos-cpubench-'));
  try {
    const native = names.flatMap((n) => {
      const exe = join(dir, n);
      execFileSync('gcc', ['-std=c99', '-O2', '-o', exe, projectFile('tests', 'cc', 'corpus', `bench_${n}.c`)], { stdio: 'pipe' });
      return execFileSync(exe, { encoding: 'utf8' }).split('\n').filter((l) => l.length > 0);
    });
    t.same(results, native, 'the same results as gcc -O2 natively');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

t.test('cpubench runs only the programs named; an unknown one is refused', async (t) => {
  const r = bootOs({ programs: ['init', 'cpubench'], cmdline: 'run=cpubench:crc32,cpubench:nosuch' });
  t.match(r.console, /^crc32\("123456789"\) = cbf43926$/m);
  t.match(r.console, /^cpubench: crc32 \d+ us$/m);
  t.notMatch(r.console, /cpubench: sort/);
  t.match(r.console, /^cpubench: no benchmark 'nosuch' \(sort crc32 sieve matmul strings\)$/m);
  t.match(r.console, /^init: cpubench exited with status 2$/m);
});
