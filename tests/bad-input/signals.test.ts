/**
 * Issue 15, item 2: Ctrl-C (SIGINT) and SIGTERM on `vamos boot` and `vamos run` stop the guest
 * at the next exit, finish the --trace file (readable by `vamos report`), print --stats and exit
 * with 128 + the signal number (docs/cli.md), as `vamos serve` does.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assemble } from '../../toolchain/as/assemble.js';
import { writeImage } from '../../toolchain/image/write.js';
import { readTraceFile } from '../../vmm/trace/reader.js';
import { projectFile } from '../../vmm/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'vamos-signals-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const VAMOS = projectFile('dist', 'cli', 'vamos.js');

/** Prints "x" and then spins on a port read for ever. */
const spin = join(dir, 'spin.img');
writeFileSync(spin, writeImage(assemble('_start:\n    mov eax, 0x78\n    outb 0x3f8, eax\n    mov eax, 10\n    outb 0x3f8, eax\nspin:\n    inb eax, 0x3fd\n    jmp spin\n', { file: 'spin.s' }).image));

function runUntilSignal(argv: string[], signal: NodeJS.Signals): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [VAMOS, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let sent = false;
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!sent && out.includes('x\n')) {
        sent = true;
        setTimeout(() => p.kill(signal), 200);
      }
    });
    p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const timer = setTimeout(() => { p.kill('SIGKILL'); reject(new Error(`no exit after ${signal}: ${err}`)); }, 30_000);
    p.on('error', reject);
    p.on('close', (code) => { clearTimeout(timer); resolve({ code, out, err }); });
  });
}

t.test('vamos boot: Ctrl-C finishes the trace and prints the stats, exit 130', async (t) => {
  const trace = join(dir, 'boot.trace');
  const r = await runUntilSignal(['boot', '--stats', '--trace', trace, '--trace-ring', '1000', spin], 'SIGINT');
  t.equal(r.code, 130);
  t.equal(r.err, 'vamos: stopped by Ctrl-C (SIGINT)\n');
  t.match(r.out, /^x\n\nstopped by Ctrl-C \(SIGINT\); \d+ instructions/m);
  t.match(r.out, /VM-EXIT\s+Samples/);
  const tr = readTraceFile(trace);
  t.match(tr.trailer.stop, /Ctrl-C/, 'the trace is complete and names the stop');
  t.ok(tr.records.length > 0, 'with its exits');
});

t.test('vamos run: SIGTERM prints the stats on stderr, exit 143', async (t) => {
  const r = await runUntilSignal(['run', '--stats', spin], 'SIGTERM');
  t.equal(r.code, 143);
  t.equal(r.out, 'x\n');
  t.match(r.err, /^stopped by SIGTERM; \d+ instructions/);
  t.match(r.err, /\nvamos: stopped by SIGTERM\n$/);
  t.match(r.err, /VM-EXIT\s+Samples/);
});
