import t, { type Test } from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exitCost, isHeavyExit, loadProfile, nsToCycles, cyclesToNs } from '../../vmm/profile.js';
import { EXIT_REASONS } from '../../vmm/exits.js';

t.test('both built-in profiles load and are complete', async (t) => {
  for (const name of ['nehalem-2011', 'modern']) {
    const p = loadProfile(name);
    t.equal(p.name, name);
    for (const r of EXIT_REASONS) {
      t.type(p.exitCycles[r], 'number');
      t.match(p.exitClass[r], /^(light|heavy)$/);
    }
  }
  t.equal(loadProfile().name, 'nehalem-2011', 'default is the paper era');
  t.equal(loadProfile().cpuHz, 2.93e9);
});

t.test('exit costs: light ports skip the user-space trip', async (t) => {
  const p = loadProfile('nehalem-2011');
  const eoi = { reason: 'io', port: 0x20, size: 1, write: true, value: 0x20 } as const;
  const serial = { reason: 'io', port: 0x3f8, size: 1, write: true, value: 65 } as const;
  t.equal(isHeavyExit(p, eoi), false);
  t.equal(isHeavyExit(p, serial), true);
  t.equal(exitCost(p, eoi), p.exitCycles.io + p.portIoDeviceCycles);
  t.equal(exitCost(p, serial), p.exitCycles.io + p.userspaceExitExtraCycles + p.portIoDeviceCycles);
  t.equal(exitCost(p, { reason: 'hlt' }), p.exitCycles.hlt);
  t.equal(exitCost(p, { reason: 'vmcall', cpl: 0 }), p.exitCycles.vmcall + p.hypercallCycles);
  t.equal(nsToCycles(p, 1000), 2930);
  t.equal(cyclesToNs(p, 2930), 1000);
});

function writeProfile(dir: string, mutate: (j: Record<string, any>) => void): string {
  const j = structuredClone(loadProfile('modern')) as Record<string, any>;
  mutate(j);
  const file = join(dir, 'p.json');
  writeFileSync(file, JSON.stringify(j));
  return file;
}

function throwsOneLine(t: Test, fn: () => unknown, re: RegExp): void {
  try {
    fn();
    t.fail(`expected an error matching ${re}`);
  } catch (e) {
    t.match((e as Error).message, re);
    t.notMatch((e as Error).message, /\n/, 'one line');
  }
}

t.test('a valid file path loads', async (t) => {
  const file = writeProfile(t.testdir(), (j) => { j.name = 'mine'; });
  t.equal(loadProfile(file).name, 'mine');
});

t.test('missing field names file and field', async (t) => {
  const file = writeProfile(t.testdir(), (j) => { delete j.exitCycles.hlt; });
  throwsOneLine(t, () => loadProfile(file), new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*exitCycles\\.hlt.*missing`));
});

t.test('negative number is rejected', async (t) => {
  const file = writeProfile(t.testdir(), (j) => { j.disk.nsPerByte = -1; });
  throwsOneLine(t, () => loadProfile(file), /p\.json.*disk\.nsPerByte.*negative/);
});

t.test('non-number and bad class are rejected', async (t) => {
  const a = writeProfile(t.testdir(), (j) => { j.cpuHz = '3GHz'; });
  throwsOneLine(t, () => loadProfile(a), /cpuHz must be a number/);
  const b = writeProfile(t.testdir(), (j) => { j.exitClass.io = 'medium'; });
  throwsOneLine(t, () => loadProfile(b), /exitClass\.io/);
  const c = writeProfile(t.testdir(), (j) => { j.lightPorts = [0x20, 70000]; });
  throwsOneLine(t, () => loadProfile(c), /lightPorts/);
  const d = writeProfile(t.testdir(), (j) => { j.cpuHz = 0; });
  throwsOneLine(t, () => loadProfile(d), /cpuHz must be greater than 0/);
});

t.test('bad JSON, unknown name, missing file', async (t) => {
  const dir = t.testdir({ 'bad.json': '{ "name": ' });
  throwsOneLine(t, () => loadProfile(join(dir, 'bad.json')), /bad\.json: bad JSON/);
  throwsOneLine(t, () => loadProfile('pentium-1993'), /pentium-1993: unknown profile.*nehalem-2011, nehalem-2011-pagecache, modern/);
  throwsOneLine(t, () => loadProfile(join(dir, 'nope.json')), /nope\.json: cannot read: ENOENT/);
  throwsOneLine(t, () => loadProfile(join(dir, 'bad.json').replace('bad.json', '')), /cannot read/);
});
