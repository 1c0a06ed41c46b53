#!/usr/bin/env node
// `npm start`: boot the default disk (firmware → kernel → init → hello) with its console and exit
// table, show where the exits come from (by guest function) and write the charts as a
// self-contained HTML page; then run the short version of the VAMOS experiment (the database
// with its storage engine in the guest and at the hypervisor level) and print its comparison.
import { mkdirSync } from 'node:fs';
import { main } from '../dist/cli/vamos.js';
import { processIo } from '../dist/cli/io.js';

mkdirSync('out', { recursive: true });
const io = processIo();
const steps = [
  ['boot', '--stats', '--trace', 'out/boot.trc'],
  ['report', 'out/boot.trc', '--by', 'function', '--top', '5'],
  ['report', 'out/boot.trc', '--format', 'html', '--output', 'out/boot.html'],
  ['bench', 'paper', '--quick', '--out', 'out/paper'],
];
for (const argv of steps) {
  io.stdout(`$ vamos ${argv.join(' ')}\n`);
  const code = await main(argv, io);
  if (code !== 0) process.exit(code);
  io.stdout('\n');
}
io.stdout('charts and tables: out/boot.html and out/paper/paper.html (open them in a browser; they load nothing from the network)\n');
io.stdout('the database for real Redis clients: npx vamos serve --placement vamos, then redis-cli -p 6380 (docs/gateway.md)\n');
