/* osal.h: the OS abstraction layer the storage engine runs on (docs/database.md).
 *
 * The engine needs four things from its environment: one volume of 512-byte sectors, memory,
 * a clock and a log. Exactly one implementation is linked into a program:
 *   middleware/osal/native.c  a POSIX file (gcc builds for tests; fault injection for crashes)
 *   middleware/osal/guest.c   the vamos kernel's block system calls (data disk 0)
 *   middleware/osal/host.c    the VMM's host calls (hypervisor context, hostcall.h)
 *   middleware/osal/mem.c     a RAM disk (hosted `vamos run` tests; contents die with the run)
 * Each has its own set-up function (declared below) that the program calls before engine_open.
 *
 * Error convention: 0 (or a count) on success, a negative OSAL_E* on failure. */
#ifndef VAMOS_OSAL_H
#define VAMOS_OSAL_H

#include <stddef.h>

#define OSAL_SECTOR 512

#define OSAL_EIO     (-5)    /* the device failed or the range is outside the volume */
#define OSAL_ENOMEM  (-12)

/* The volume. Sectors are written atomically (a torn write tears at a sector boundary), and a
 * write is durable only after a later osal_vol_flush returns 0. */
unsigned osal_vol_sectors(void);
int osal_vol_read(unsigned sector, void *buf, unsigned count);
int osal_vol_write(unsigned sector, const void *buf, unsigned count);
int osal_vol_flush(void);

/* Memory: NULL when exhausted. */
void *osal_alloc(size_t bytes);
void osal_free(void *p);

/* Nanoseconds of (virtual, in a VM) time since an arbitrary origin. */
unsigned long long osal_time_ns(void);

/* One line of diagnostics (without the newline). */
void osal_log(const char *msg);

/* Set-up of each implementation. */
int osal_native_open(const char *path, unsigned sectors); /* creates or grows the file */
void osal_native_close(void);
/* Fault injection: after `n` more sector writes the process "loses power": a pseudo-random
 * subset (from `seed`) of the sectors written since the last flush reaches the file, the rest
 * is lost, and the process exits with status 99. 0 disables. */
void osal_native_crash_after(unsigned n, unsigned seed);
unsigned osal_native_sector_writes(void);                 /* since open, for tests */
int osal_guest_open(int disk);                            /* 0 or -E_* of the kernel */
int osal_mem_open(unsigned sectors);                      /* a zeroed RAM disk */
int osal_host_open(void);                                 /* the module runtime has set up the heap */

#endif
