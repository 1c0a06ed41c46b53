/**
 * Durability (issue 6): the VMM process is killed (SIGKILL) at a random point of a write
 * workload, restarted on the same host file, and every SET acknowledged before the kill must
 * read back intact, in both placements. The kill points come from a seeded PRNG.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileBackend } from '../../devices/virtio/blk/file-backend.js';
import { runPoint } from '../../middleware/experiment/point.js';
import { keyName, loadValue, type Op } from '../../middleware/workload/driver.js';
import { Rng } from '../../middleware/workload/random.js';
import { loadProfile } from '../../vmm/profile.js';
import { projectFile } from '../../vmm/paths.js';

const RECORDS = 400;
const VOLUME_BYTES = 8 << 20;
// The tests run compiled (scripts/test.mjs), so the child is the compiled sibling of this file.
const child = fileURLToPath(new URL('./crash-child.js', import.meta.url));

/** Runs the child until it has acknowledged `killAfter` SETs, kills it, returns every ack it printed. */
function writeAndKill(placement: string, path: string, killAfter: number): Promise<{ acked: number[]; finished: boolean }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, placement, path, String(RECORDS)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: number[] = [];
    let finished = false, buf = '', err = '';
    p.stderr.on('data', (d) => { err += d; });
    p.stdout.on('data', (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith('ack ')) acked.push(Number(line.slice(4)));
        if (line === 'finished') finished = true;
        if (acked.length >= killAfter && p.exitCode === null) p.kill('SIGKILL');
      }
    });
    p.on('error', reject);
    p.on('close', (code, signal) => {
      if (signal !== 'SIGKILL' && code !== 0) reject(new Error(`crash child failed (${code}): ${err.trim().split('\n').slice(-3).join(' | ')}`));
      else resolve({ acked, finished });
    });
  });
}

/** Restarts on the same file and reads every acknowledged record back. */
function readBack(placement: 'guest' | 'vamos', path: string, records: number[]): { wrong: string[]; console: string } {
  const ops: Op[] = records.map((r) => ({ kind: 'read', key: keyName(r) }));
  const wrong: string[] = [];
  const volume = new FileBackend(path, false);
  const r = runPoint({
    placement, iommu: 'off', profile: loadProfile('nehalem-2011'), poolPages: 16, volume,
    workload: { mix: 'C', distribution: 'uniform', records: RECORDS, operations: ops.length, concurrency: 1, seed: 1, skipLoad: true, ops },
    onRunReply: (i, reply) => {
      const got = reply instanceof Uint8Array ? Buffer.from(reply).toString('latin1') : String(reply);
      if (got !== loadValue(records[i]!)) wrong.push(`${keyName(records[i]!)}: ${got.slice(0, 40)}`);
    },
  });
  volume.close();
  return { wrong, console: r.console };
}

const rng = new Rng(20261125);
for (const placement of ['guest', 'vamos'] as const) {
  t.test(`${placement}: acknowledged SETs survive a SIGKILL of the VMM`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), `vamos-crash-${placement}-`));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    for (let round = 0; round < 2; round++) {
      const path = join(dir, `volume-${round}.img`);
      writeFileSync(path, new Uint8Array(VOLUME_BYTES));
      const killAfter = 20 + rng.below(RECORDS - 60);
      const { acked, finished } = await writeAndKill(placement, path, killAfter);
      t.ok(acked.length >= killAfter, `round ${round}: killed after ${acked.length} acknowledged SETs (aimed at ${killAfter})`);
      t.notOk(finished, 'the kill came before the workload finished');
      const { wrong, console } = readBack(placement, path, acked);
      t.same(wrong, [], `all ${acked.length} acknowledged records read back intact`);
      t.match(console, /dbserver: .* engine, \d+ keys/, 'the engine recovered and served');
    }
  });
}
