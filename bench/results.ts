/**
 * How every benchmark writes bench/results/NAME.json: the figures with the date and the host they
 * were measured on, whether `npm run bench` ran them all or one bench ran alone.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { projectFile } from '../vmm/paths.js';

export function hostInfo(): Record<string, unknown> {
  return { node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memGiB: Math.round(totalmem() / 2 ** 30) };
}

/** Writes bench/results/NAME.json ({ date, host, ...figures }) and returns its path. */
export function writeResult(name: string, figures: object): string {
  const dir = projectFile('bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = `${dir}/${name}.json`;
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), host: hostInfo(), ...figures }, null, 2) + '\n');
  return file;
}
