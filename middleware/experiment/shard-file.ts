/**
 * The file one shard of a sweep writes (`vamos bench paper --shard I/N`) and the merge of such
 * files into the whole sweep (`vamos bench merge`). A shard file holds the full compared points
 * (minus the guest's console text), so the merge builds the same paper.json, table and charts
 * as an unsharded run, bit for bit.
 */
import { readFileSync } from 'node:fs';
import type { Shard, IndexedPoint } from './parallel.js';
import { sweepTasks, type ComparedPoint, type SweepConfig } from './sweep.js';

export interface ShardFile {
  format: 'vamos-paper-shard/1';
  shard: Shard;
  config: SweepConfig;
  /** How many points the whole sweep has. */
  total: number;
  points: IndexedPoint[];
}

export function shardFileName(s: Shard): string {
  return `shard-${s.index}-of-${s.count}.json`;
}

export function shardJson(config: SweepConfig, shard: Shard, total: number, points: IndexedPoint[]): string {
  const strip = (p: ComparedPoint): ComparedPoint => ({ ...p, baseline: { ...p.baseline, console: '' }, vamos: { ...p.vamos, console: '' } });
  const file: ShardFile = { format: 'vamos-paper-shard/1', shard, config, total, points: points.map((x) => ({ index: x.index, point: strip(x.point) })) };
  return JSON.stringify(file) + '\n';
}

function readShard(path: string): ShardFile {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message.split('\n')[0]}`);
  }
  const f = json as ShardFile;
  if (typeof f !== 'object' || f === null || f.format !== 'vamos-paper-shard/1') throw new Error(`${path}: not a shard file of vamos bench paper --shard`);
  for (const { point } of f.points) {
    // JSON has no Infinity: a VAMOS run without exits had its reduction written as null.
    if (point.exitReduction === null) point.exitReduction = Infinity;
  }
  return f;
}

/** Joins shard files into the whole sweep; refuses different sweeps, overlaps and gaps. */
export function mergeShards(paths: string[]): { config: SweepConfig; points: ComparedPoint[] } {
  if (paths.length === 0) throw new Error('no shard files to merge');
  const files = paths.map(readShard);
  const config = files[0]!.config;
  const key = JSON.stringify(config);
  const byIndex = new Map<number, ComparedPoint>();
  files.forEach((f, k) => {
    if (JSON.stringify(f.config) !== key) throw new Error(`${paths[k]}: a different sweep from ${paths[0]} (its configuration differs)`);
    for (const { index, point } of f.points) {
      if (byIndex.has(index)) throw new Error(`${paths[k]}: point ${index} is in two shard files`);
      byIndex.set(index, point);
    }
  });
  const total = sweepTasks(config).length;
  const missing = Array.from({ length: total }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length > 0) {
    const count = files[0]!.shard.count;
    throw new Error(`${missing.length} of ${total} points missing (first: ${missing[0]}, in shard ${(missing[0]! % count) + 1}/${count})`);
  }
  return { config, points: Array.from({ length: total }, (_, i) => byIndex.get(i)!) };
}
