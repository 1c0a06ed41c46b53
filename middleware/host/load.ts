/**
 * `--module name=path[,key=value...]`: turns a module spec into a loaded module. A path ending
 * in .img is a module image (guest C built with buildModule); .js/.mjs is a JavaScript module
 * (compiled TypeScript) exporting `createModule(env: ModuleEnv): HypervisorModule`.
 * Image options: `disk=FILE` (its volume, a host file; `disk=FILE:ro` read-only),
 * `mem=BYTES` (module memory, default 16 MiB), `budget=N` (instructions per call).
 */
import { statSync } from 'node:fs';
import { readHostFile } from '../../vmm/host-file.js';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FileBackend } from '../../devices/virtio/blk/file-backend.js';
import { readImage } from '../../toolchain/image/read.js';
import type { CostProfile } from '../../vmm/profile.js';
import { ImageModule } from './image-module.js';
import { errorLine, type HypervisorModule, type ModuleEnv } from './module.js';

export interface ModuleSpec {
  name: string;
  path: string;
  options: Record<string, string>;
}

export function parseModuleSpec(text: string): ModuleSpec {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new Error(`--module ${text}: expected name=path[,key=value...]`);
  const name = text.slice(0, eq);
  const [path, ...rest] = text.slice(eq + 1).split(',');
  if (path === undefined || path === '') throw new Error(`--module ${text}: missing the module's path`);
  const options: Record<string, string> = {};
  for (const kv of rest) {
    const k = kv.indexOf('=');
    if (k <= 0) throw new Error(`--module ${text}: option '${kv}' is not key=value`);
    const key = kv.slice(0, k);
    if (Object.hasOwn(options, key)) throw new Error(`--module ${name}: option '${key}' given twice`);
    options[key] = kv.slice(k + 1);
  }
  return { name, path, options };
}

function positiveInt(spec: ModuleSpec, key: string): number | undefined {
  const v = spec.options[key];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`--module ${spec.name}: ${key}=${v} is not a positive whole number`);
  return n;
}

export interface LoadContext {
  profile: CostProfile;
  log?: (line: string) => void;
  now?: () => number;
}

/** A module file must be a regular file (not a directory, not /dev/zero). */
function checkFile(spec: ModuleSpec): void {
  let st;
  try {
    st = statSync(spec.path);
  } catch {
    throw new Error(`--module ${spec.name}: ${spec.path}: no such file`);
  }
  if (!st.isFile()) throw new Error(`--module ${spec.name}: ${spec.path}: not a regular file`);
}

export function loadImageModule(spec: ModuleSpec, ctx: LoadContext): ImageModule {
  const known = new Set(['disk', 'mem', 'budget']);
  for (const k of Object.keys(spec.options)) if (!known.has(k)) throw new Error(`--module ${spec.name}: unknown option '${k}' (known: disk, mem, budget)`);
  checkFile(spec);
  const image = readImage(new Uint8Array(readHostFile(spec.path)), spec.path);
  const memSize = positiveInt(spec, 'mem');
  if (memSize !== undefined && (memSize % 4096 !== 0 || memSize < 4 << 20 || memSize > 0xc0000000)) {
    throw new Error(`--module ${spec.name}: mem=${spec.options.mem}: expected a multiple of 4 KiB from 4 MiB to 3 GiB (bytes)`);
  }
  const budget = positiveInt(spec, 'budget');
  const disk = spec.options.disk;
  let volume: FileBackend | undefined;
  if (disk !== undefined) {
    const ro = disk.endsWith(':ro');
    try {
      volume = new FileBackend(ro ? disk.slice(0, -3) : disk, ro);
    } catch (e) {
      throw new Error(`--module ${spec.name}: disk=${disk}: ${errorLine(e)}`);
    }
  }
  try {
    return new ImageModule({ name: spec.name, image, profile: ctx.profile, volume, log: ctx.log, now: ctx.now, memSize, budget });
  } catch (e) {
    volume?.close?.();
    const msg = errorLine(e);
    throw new Error(msg.startsWith(`module ${spec.name}:`) ? `--${msg}` : `--module ${spec.name}: ${msg}`);
  }
}

export async function loadModule(spec: ModuleSpec, ctx: LoadContext): Promise<HypervisorModule> {
  if (spec.path.endsWith('.img')) return loadImageModule(spec, ctx);
  if (!/\.m?js$/.test(spec.path)) throw new Error(`--module ${spec.name}: ${spec.path}: expected an .img module image or a .js/.mjs module`);
  checkFile(spec);
  let mod: { createModule?: (env: ModuleEnv) => HypervisorModule };
  try {
    mod = (await import(pathToFileURL(resolve(spec.path)).href)) as typeof mod;
  } catch (e) {
    throw new Error(`--module ${spec.name}: ${spec.path}: cannot load: ${errorLine(e)}`);
  }
  if (typeof mod.createModule !== 'function') throw new Error(`--module ${spec.name}: ${spec.path} does not export createModule(env)`);
  let m: HypervisorModule;
  try {
    m = mod.createModule({
      name: spec.name, options: spec.options, cpuHz: ctx.profile.cpuHz, cyclesPerInstruction: ctx.profile.cyclesPerInstruction,
    });
  } catch (e) {
    throw new Error(`--module ${spec.name}: createModule failed: ${errorLine(e)}`);
  }
  if (m === null || typeof m !== 'object' || typeof m.call !== 'function') {
    const promise = m !== null && typeof (m as { then?: unknown })?.then === 'function';
    throw new Error(`--module ${spec.name}: createModule did not return a module${promise ? ' (it returned a promise: createModule and call are synchronous)' : ''}`);
  }
  if (m.name !== spec.name) {
    try { m.close?.(); } catch { /* the name error is the one to report */ }
    throw new Error(`--module ${spec.name}: createModule returned a module named '${String(m.name)}'`);
  }
  return m;
}

