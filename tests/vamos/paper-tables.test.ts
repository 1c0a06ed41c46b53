/**
 * docs/paper.md's tables are generated from bench/results/paper.json (`vamos bench tables`):
 * this fails when the committed results and the document disagree, and shows that --check
 * notices a single changed digit.
 */
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../cli/vamos.js';
import { bufferIo } from '../../cli/io.js';
import { projectFile } from '../../vmm/paths.js';
import { renderTables, updateDoc, type PaperJson } from '../../middleware/experiment/tables.js';

const docPath = projectFile('docs', 'paper.md');
const jsonPath = projectFile('bench', 'results', 'paper.json');
const json = JSON.parse(readFileSync(jsonPath, 'utf8')) as PaperJson;

t.test('docs/paper.md agrees with bench/results/paper.json', async (t) => {
  const doc = readFileSync(docPath, 'utf8');
  t.equal(updateDoc(doc, json), doc, 'regenerating the tables changes nothing (else: npx vamos bench tables --write docs/paper.md)');
  for (const block of Object.values(renderTables(json))) t.ok(doc.includes(block), block.split('\n')[0]);
});

t.test('bench tables --check fails on a changed figure, --write repairs it', async (t) => {
  const dir = t.testdir();
  const doc = join(dir, 'paper.md');
  const good = readFileSync(docPath, 'utf8');
  const p = json.points.find((x) => x.poolPages === Math.min(...json.config.pools))!;
  const figure = `${(p.improvement * 100).toFixed(1)}%`;
  const bad = good.replace(`| ${p.profile} | ${p.iommu} |`, `| ${p.profile} | ${p.iommu} | x`);
  t.not(bad, good);
  writeFileSync(doc, bad);
  let io = bufferIo();
  t.equal(await main(['bench', 'tables', '--from', jsonPath, '--check', doc], io), 1);
  t.match(io.err, /^vamos bench: .*paper\.md: its tables differ from .*paper\.json \(run vamos bench tables --write .*\)\n$/);
  io = bufferIo();
  t.equal(await main(['bench', 'tables', '--from', jsonPath, '--write', doc], io), 0);
  t.equal(readFileSync(doc, 'utf8'), good);
  t.ok(good.includes(figure), `the I/O-bound improvement (${figure}) is in the document`);
  io = bufferIo();
  t.equal(await main(['bench', 'tables', '--from', jsonPath, '--check', doc], io), 0);
  writeFileSync(doc, '# no markers\n');
  io = bufferIo();
  t.equal(await main(['bench', 'tables', '--from', jsonPath, '--write', doc], io), 1);
  t.match(io.err, /no markers for table 'io-bound'/);
});

t.test('with two transports every table says which: a transport column, and VAMOS per transport in the exits table', async (t) => {
  // The committed results' hypercall points alone, and each of them doubled as a module-channel
  // point with its own figures.
  const one: PaperJson = { ...json, points: json.points.filter((p) => p.transport === 'vmcall') };
  const two: PaperJson = {
    ...one,
    points: one.points.flatMap((p) => [
      { ...p, transport: 'vmcall' },
      { ...p, transport: 'virtio', improvement: p.improvement - 0.5, vamosLatencyUs: { ...p.vamosLatencyUs, p50: 12_345.4, p99: 67_890.6 }, vamosExitsPerOp: p.vamosExitsPerOp + 3, vamosExits: [...p.vamosExits, { reason: 'external-interrupt' as const, device: 'virtio-modchan0', count: 7 * json.config.operations, perOp: 7 }] },
    ]),
  };
  const tables = renderTables(two);
  const p = two.points.find((x) => x.poolPages === Math.min(...json.config.pools) && x.transport === 'virtio')!;
  t.ok(tables['io-bound']!.includes(`| ${p.profile} | ${p.iommu} | virtio | ${p.pageReadsPerOp.toFixed(2)} |`), 'the I/O-bound table has a virtio row');
  t.ok(tables['io-bound']!.includes(`| ${(p.improvement * 100).toFixed(1)}% |`), 'with the channel\'s own improvement');
  t.match(tables.sweep!, /\| profile \| IOMMU \| transport \| pool/, 'the sweep table has a transport column');
  t.match(tables.exits!, /\| exit \| baseline per op \| VAMOS-vmcall per op \| VAMOS-virtio per op \|/);
  t.match(tables.exits!, /\| external-interrupt \| [\d.]+ \| [\d.]+ \| [\d.]+ \|/, 'one column per transport');
  // Latency: baseline, VAMOS-vmcall and VAMOS-virtio side by side, each from its own run.
  t.match(tables.latency!, /^[^\n]*\n\| profile \| IOMMU \| p50 baseline \| p50 VAMOS-vmcall \| p50 VAMOS-virtio \| p99 baseline \| p99 VAMOS-vmcall \| p99 VAMOS-virtio \|/);
  const q = one.points.find((x) => x.poolPages === p.poolPages && x.profile === p.profile && x.iommu === p.iommu)!;
  const us = (x: number): string => Math.round(x).toLocaleString('en-US');
  t.ok(tables.latency!.includes(`| ${p.profile} | ${p.iommu} | ${us(q.baselineLatencyUs.p50)} | ${us(q.vamosLatencyUs.p50)} | 12,345 | ${us(q.baselineLatencyUs.p99)} | ${us(q.vamosLatencyUs.p99)} | 67,891 |`), 'each placement\'s own percentiles');
  // One transport: no transport column, one VAMOS column.
  t.notMatch(renderTables(one).sweep!, /transport/);
  t.match(renderTables(one).latency!, /\| p50 baseline \| p50 VAMOS-vmcall \| p99 baseline \| p99 VAMOS-vmcall \|/);
});
