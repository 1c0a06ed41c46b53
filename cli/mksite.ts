/**
 * `vamos mksite DIR -o site.vol`: a site volume (docs/web.md) from a host folder, for
 * `vamos serve --app http --site site.vol`. Written to a temporary file and renamed into place,
 * so the output appears whole or not at all.
 */
import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { buildSite, entriesFromFolder, SiteError } from '../middleware/web/site.js';
import { UsageError, parseArgs, usage, type Flags } from './args.js';
import type { Io } from './io.js';

const FLAGS = {
  o: { kind: 'string', value: 'FILE', help: 'the site volume to write (required)' },
  help: { kind: 'boolean', help: 'show this help' },
} satisfies Flags;

export function mksiteUsage(): string {
  return usage('vamos mksite DIR -o FILE',
    'Writes a site volume for the web server (docs/web.md): every regular file and directory under\nDIR, which vamos serve --app http --site FILE serves. Symbolic links are refused.',
    FLAGS);
}

export function mksiteMain(argv: string[], io: Io): number {
  const { flags, positional } = parseArgs(argv, FLAGS);
  if (flags.help) { io.stdout(mksiteUsage()); return 0; }
  if (positional.length !== 1) throw new UsageError(`mksite takes one folder, got ${positional.length}`);
  if (flags.o === undefined) throw new UsageError('mksite needs -o FILE');
  let vol: Uint8Array, files: number;
  try {
    const entries = entriesFromFolder(positional[0]!);
    files = entries.filter((e) => e.kind === 'file').length;
    vol = buildSite(entries);
  } catch (e) {
    if (e instanceof SiteError) { io.stderr(`vamos mksite: ${e.message}\n`); return 1; }
    if ((e as NodeJS.ErrnoException).code) { io.stderr(`vamos mksite: ${(e as NodeJS.ErrnoException).path ?? positional[0]}: ${(e as NodeJS.ErrnoException).code}\n`); return 1; }
    throw e;
  }
  const tmp = `${flags.o}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, vol);
    renameSync(tmp, flags.o);
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* never written */ }
    io.stderr(`vamos mksite: cannot write ${flags.o}: ${(e as NodeJS.ErrnoException).code ?? String(e)}\n`);
    return 1;
  }
  io.stdout(`${flags.o}: ${files} files, ${vol.length / 512} sectors\n`);
  return 0;
}
