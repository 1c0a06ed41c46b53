#!/usr/bin/env node
/**
 * The `vamos` command. Every failure a user can cause ends here as one line on stderr and a
 * non-zero exit code: 2 for usage errors, 1 for bad input (image, source, profile).
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bootMain, bootUsage } from './boot.js';
import { reportMain, reportUsage } from './report.js';
import { ccMain, ccUsage } from './cc.js';
import { runMain, runUsage } from './run.js';
import { benchMain, benchUsage } from './bench.js';
import { serveMain, serveUsage } from './serve.js';
import { mkdiskMain, mkdiskUsage } from './mkdisk.js';
import { mksiteMain, mksiteUsage } from './mksite.js';
import { UsageError } from './args.js';
import { processIo, type Io } from './io.js';
import { moduleStillLoading } from './modules.js';
import { asMain } from '../toolchain/as/cli.js';
import { objdumpMain } from '../toolchain/objdump.js';

interface Command {
  readonly about: string;
  /** A command may finish asynchronously (boot with a host-socket network backend). */
  readonly main: (argv: string[], io: Io) => number | Promise<number>;
  readonly usage?: () => string;
}

const COMMANDS: Record<string, Command> = {
  boot: { about: 'boot an image or a boot disk (or the default guest) and show its console', main: bootMain, usage: bootUsage },
  as: { about: 'assemble mx86 source into an image', main: (argv, io) => asMain(argv, io) },
  objdump: { about: 'show the header, symbols and disassembly of an image', main: (argv, io) => objdumpMain(argv, io) },
  cc: { about: 'compile and link C and assembly into an image', main: ccMain, usage: ccUsage },
  run: { about: 'run a hosted program (an image or C sources); exits with its status', main: runMain, usage: runUsage },
  mkdisk: { about: 'build a boot disk from a kernel image and user programs', main: mkdiskMain, usage: mkdiskUsage },
  mksite: { about: 'build a site volume for the web server from a host folder', main: mksiteMain, usage: mksiteUsage },
  bench: { about: 'run the VAMOS experiment (bench paper): both placements over a sweep of I/O intensity', main: benchMain, usage: benchUsage },
  serve: { about: 'serve the guest database to Redis clients over a TCP gateway (redis-cli -p 6380)', main: serveMain, usage: serveUsage },
  report: { about: 'exit tables (perf kvm stat columns), diffs and charts from a --trace file', main: reportMain, usage: reportUsage },
};

function topUsage(): string {
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)}${c.about}`);
  return `usage: vamos <command> [options]\n\ncommands:\n${rows.join('\n')}\n\nRun 'vamos <command> --help' for a command's options.\n`;
}

/**
 * Runs a command. Synchronous commands return their exit code; a command that finishes
 * asynchronously gives a promise of it, with the same error handling.
 */
export function main(argv: string[], io: Io): number | Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(topUsage());
    return name === undefined ? 2 : 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    io.stderr(`vamos: unknown command '${name}'\n${topUsage()}`);
    return 2;
  }
  try {
    const r = cmd.main(rest, io);
    return typeof r === 'number' ? r : r.catch((e: unknown) => failure(e, name, cmd, io));
  } catch (e) {
    return failure(e, name, cmd, io);
  }
}

/** Every failure as one line on stderr and its exit code (docs/cli.md). */
function failure(e: unknown, name: string, cmd: Command, io: Io): number {
  if (e instanceof UsageError) {
    io.stderr(`vamos ${name}: ${e.message}\n${cmd.usage ? cmd.usage() : ''}`);
    return 2;
  }
  if (e instanceof Error && !isHostBug(e)) {
    io.stderr(`vamos ${name}: ${e.message.split('\n')[0]}\n`);
    return 1;
  }
  // A bug in vamos itself: still one line for the user, the stack only on request.
  io.stderr(`vamos ${name}: internal error: ${String((e as Error)?.message ?? e).split('\n')[0]} (set VAMOS_DEBUG=1 for details)\n`);
  if (process.env.VAMOS_DEBUG) io.stderr(String((e as Error)?.stack) + '\n');
  return 70;
}

/** TypeError, RangeError and friends come from our code, not the user's input. */
function isHostBug(e: Error): boolean {
  return e instanceof TypeError || e instanceof RangeError || e instanceof ReferenceError || e instanceof SyntaxError;
}

function invokedDirectly(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  const argv = process.argv.slice(2);
  const code = main(argv, processIo());
  if (typeof code === 'number') process.exitCode = code;
  else {
    let settled = false;
    void code.then((c) => { settled = true; process.exitCode = c; });
    // Nothing left to run and no result: something the command awaited can never finish (a
    // module whose loading never settles). Exit 1 with one line, not 0 with none.
    process.once('beforeExit', () => {
      if (settled) return;
      process.stderr.write(`vamos ${argv[0]}: ${moduleStillLoading() ?? 'the command stopped without finishing'}\n`);
      process.exitCode = 1;
    });
  }
}
