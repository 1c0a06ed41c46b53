#!/usr/bin/env node
// `npm start`: boot the default guest with its console and exit table, record its exits, and
// show where they come from (by guest function) plus the charts as a self-contained HTML page.
import { mkdirSync } from 'node:fs';
import { main } from '../dist/cli/vamos.js';
import { processIo } from '../dist/cli/io.js';

mkdirSync('out', { recursive: true });
const io = processIo();
const steps = [
  ['boot', '--stats', '--trace', 'out/boot.trc'],
  ['report', 'out/boot.trc', '--by', 'function', '--top', '5'],
  ['report', 'out/boot.trc', '--format', 'html', '--output', 'out/boot.html'],
];
for (const argv of steps) {
  const code = main(argv, io);
  if (code !== 0) process.exit(code);
  io.stdout('\n');
}
io.stdout('charts and tables: out/boot.html (open it in a browser; it loads nothing from the network)\n');
