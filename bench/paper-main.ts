/**
 * `npm run bench:paper`: bench/results/paper.json alone (the sweep, with --jobs 1 and 2), then
 * `vamos bench tables --write docs/paper.md` brings the document's tables up to date.
 */
import { writeResult } from './results.js';
import { paperBench } from './paper.js';

const paper = await paperBench((line) => process.stderr.write(`paper ${line}\n`));
const file = writeResult('paper', paper.json);
console.log(paper.table);
console.log(`wrote ${file}`);
