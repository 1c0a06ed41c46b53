/**
 * An exclusive lock on a disk or volume opened read-write, so that two VMMs (or one VMM given
 * the same file twice) never write one file at once (issue 15, item 1).
 *
 * The lock is a file beside the disk, `DISK.lock`, created with O_EXCL and holding the owner's
 * pid and host name. A lock whose process is gone (a `kill -9`, a host crash) is stale and is
 * taken over. It is written by hand rather than with an mtime-refreshing lock package
 * (proper-lockfile): such a lock is kept fresh by a timer, and a synchronous run (`vamos boot`
 * without a network) blocks the event loop for as long as the guest runs, so its lock would look
 * stale to a second VMM after a few seconds and be stolen. A pid does not age.
 *
 * Read-only opens take no lock: they may share a file with each other.
 */
import { closeSync, openSync, readFileSync, realpathSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename } from 'node:path';

/** Locks this process holds, by lock-file path: released at exit, even on process.exit(). */
const held = new Set<string>();
let exitHook = false;

export class DiskLockError extends Error {}

export class DiskLock {
  private released = false;

  private constructor(readonly lockPath: string, private readonly stamp: string) {}

  /**
   * Takes the lock on `path` (an existing file) or throws a one-line DiskLockError naming the
   * file and the process that holds it. `what` begins the message (e.g. "disk d.img").
   */
  static acquire(path: string, what: string): DiskLock {
    let real: string;
    try {
      real = realpathSync(path);
    } catch {
      real = path;
    }
    const lockPath = `${real}.lock`;
    const stamp = `${process.pid}\n${hostname()}\n`;
    for (let attempt = 0; attempt < 3; attempt++) {
      let fd: number;
      try {
        fd = openSync(lockPath, 'wx', 0o644);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'EEXIST') {
          throw new DiskLockError(`${what}: cannot create the lock file ${basename(lockPath)} beside it (${code ?? String(e)}); a disk opened read-write must be locked`);
        }
        const holder = readHolder(lockPath);
        if (holder.stale) {
          try { unlinkSync(lockPath); } catch { /* another opener removed it first */ }
          continue;
        }
        if (holder.self) throw new DiskLockError(`${what}: given twice; a file can be opened read-write only once (add ,ro to share it read-only)`);
        throw new DiskLockError(`${what}: in use: ${holder.who} holds it open read-write (lock file ${lockPath}); stop that first, or open it read-only`);
      }
      try {
        writeSync(fd, stamp);
      } finally {
        closeSync(fd);
      }
      held.add(lockPath);
      if (!exitHook) {
        exitHook = true;
        process.on('exit', () => {
          for (const p of held) removeIfOurs(p, `${process.pid}\n${hostname()}\n`);
          held.clear();
        });
      }
      return new DiskLock(lockPath, stamp);
    }
    throw new DiskLockError(`${what}: could not take the lock file ${lockPath} (another process keeps taking it)`);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    held.delete(this.lockPath);
    removeIfOurs(this.lockPath, this.stamp);
  }
}

function removeIfOurs(lockPath: string, stamp: string): void {
  try {
    if (readFileSync(lockPath, 'utf8') === stamp) unlinkSync(lockPath);
  } catch {
    // already gone
  }
}

/** Who holds a lock file, and whether that holder is gone. */
function readHolder(lockPath: string): { who: string; stale: boolean; self?: boolean } {
  let text: string;
  try {
    text = readFileSync(lockPath, 'utf8');
  } catch {
    return { who: 'another process', stale: false }; // removed meanwhile: the next attempt sees
  }
  const [pidText, host] = text.split('\n');
  const pid = Number(pidText);
  if (!/^\d+$/.test(pidText ?? '') || pid <= 0) {
    // Being written this instant, or garbage: garbage older than a few seconds is stale.
    let age = 0;
    try { age = Date.now() - statSync(lockPath).mtimeMs; } catch { /* gone */ }
    return { who: 'another process', stale: age > 5000 };
  }
  if (host !== hostname()) return { who: `process ${pid} on host ${host}`, stale: false };
  if (pid === process.pid) {
    // This process: the same file opened twice (--disk d.img --disk d.img), or a lock a dead
    // process with a recycled pid left behind.
    return held.has(lockPath) ? { who: 'this process', stale: false, self: true } : { who: '', stale: true };
  }
  try {
    process.kill(pid, 0);
    return { who: `process ${pid}`, stale: false };
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM' ? { who: `process ${pid}`, stale: false } : { who: '', stale: true };
  }
}
