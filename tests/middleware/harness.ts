/**
 * Builds the database (middleware/engine, middleware/server) with the test driver
 * (tests/middleware/driver.c): natively with gcc over the file OSAL, and with vamos cc over
 * the RAM-disk OSAL for `vamos run`. The driver reads one command per line and answers one
 * line per command (driver.c lists them).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootRom } from '../../firmware/build.js';
import { build } from '../../toolchain/cc/driver.js';
import { Vm } from '../../vmm/vm.js';
import { projectFile } from '../../vmm/paths.js';

export const root = projectFile();
export const mw = join(root, 'middleware');
export const here = projectFile('tests', 'middleware');
export const hasGcc = spawnSync('gcc', ['--version']).status === 0;
export const noGcc = hasGcc ? false : 'gcc not found: the native build of the engine needs it';

export const cFiles = (dir: string): string[] =>
  readdirSync(join(mw, dir)).filter((f) => f.endsWith('.c')).sort().map((f) => join(mw, dir, f));
/** The portable sources: engine and front end (the OSAL is chosen per build). */
export const portable = (): string[] => [...cFiles('engine'), ...cFiles('server')];
export const includes = [join(mw, 'include'), join(mw, 'server'), here];

export const tmp = mkdtempSync(join(tmpdir(), 'vamos-db-'));
let exe: string | undefined;

/** The native driver, built once per test process. */
export function nativeDriver(): string {
  if (exe) return exe;
  exe = join(tmp, 'driver');
  execFileSync('gcc', ['-std=c99', '-Wall', '-Werror', '-O1', ...includes.flatMap((d) => ['-I', d]), '-o', exe,
    ...portable(), join(mw, 'osal', 'native.c'), join(here, 'driver.c'), join(here, 'main_native.c')], { stdio: 'pipe' });
  return exe;
}

let volumes = 0;
/** A fresh volume file name (the driver creates it). */
export function volume(): string {
  return join(tmp, `vol${volumes++}.img`);
}

export const SECTORS = 16384;   // 8 MiB

/** Runs the native driver over a script; its output lines and exit status. */
export function runNative(vol: string, lines: readonly string[], crash?: { after: number; seed: number }): { out: string[]; status: number | null; sectorWrites: number } {
  const args = [vol, String(SECTORS)];
  if (crash) args.push(String(crash.after), String(crash.seed));
  const r = spawnSync(nativeDriver(), args, { input: lines.join('\n') + '\n', encoding: 'latin1', maxBuffer: 1 << 28 });
  if (r.status !== 0 && r.status !== 99) throw new Error(`driver failed (${r.status ?? r.signal}): ${r.stderr}`);
  const writes = /sector writes: (\d+)/.exec(r.stderr);
  return { out: r.stdout.split('\n').slice(0, -1), status: r.status, sectorWrites: writes ? Number(writes[1]) : -1 };
}

/**
 * Runs the native driver and SIGKILLs it once `acks` lines have come back: returns the lines
 * received before the kill (the acknowledged prefix).
 */
export function runAndKill(vol: string, lines: readonly string[], acks: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(nativeDriver(), [vol, String(SECTORS)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let buf = '';
    let done = false;
    child.stdout.setEncoding('latin1');
    child.stdout.on('data', (d: string) => {
      if (done) return;
      buf += d;
      if (buf.split('\n').length - 1 >= acks) { done = true; child.kill('SIGKILL'); }
    });
    child.on('error', reject);
    child.on('close', () => resolve(buf.split('\n').slice(0, -1)));
    child.stdin.on('error', () => { /* the child died: the rest of the script is moot */ });
    child.stdin.end(lines.join('\n') + '\n');
  });
}

/** C source of the hosted driver's script array. */
function scriptSource(lines: readonly string[]): string {
  const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  return `const char *const driver_script[] = {\n${lines.map((l) => `"${esc(l)}",`).join('\n')}\n0 };\n`;
}

/** Builds the hosted driver with vamos cc and runs it in a Vm: its output lines and instruction count. */
export function runHosted(lines: readonly string[], maxInstructions = 2_000_000_000): { out: string[]; instructions: number; stop: string } {
  const files = [...portable(), join(mw, 'osal', 'mem.c'), join(here, 'driver.c'), join(here, 'main_hosted.c')];
  const inputs = files.map((path) => ({ path, text: readFileSync(path, 'utf8') }));
  inputs.push({ path: join(tmp, 'script.c'), text: scriptSource(lines) });
  const { image } = build(inputs, { includeDirs: includes });
  let out = '';
  const vm = new Vm({ kernel: image, firmware: bootRom(), console: (b) => { out += String.fromCharCode(b); }, maxInstructions });
  const r = vm.run();
  return { out: out.split('\n').slice(0, -1), instructions: r.instructions, stop: r.stop };
}

export const hex = (s: string | Uint8Array): string =>
  s.length === 0 ? '.' : Buffer.from(typeof s === 'string' ? Buffer.from(s, 'latin1') : s).toString('hex');

export function cleanup(): void {
  rmSync(tmp, { recursive: true, force: true });
}
