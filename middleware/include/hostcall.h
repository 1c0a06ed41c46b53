/* hostcall.h: what a hypervisor-resident module built from guest C may ask of the VMM
 * (docs/modules.md). A module runs in its own hypervisor context: flat memory (no paging),
 * ring 0, no devices; it reaches the host only through these calls, made with `vmcall`
 * (eax = number, ebx/ecx/edx = arguments, result in eax; negative = -E_*, syscall.h's codes).
 * They are not VM exits: the guest is not running while its module works, and each call is
 * charged to virtual time by the cost profile (block I/O at the disk's latency and bandwidth). */
#ifndef _VAMOS_HOSTCALL_H
#define _VAMOS_HOSTCALL_H

#define HOST_RETURN      0   /* (int value) the module's runtime ends a call or init with this (modrt.s) */
#define HOST_BLK_READ    1   /* (unsigned sector, void *buf, unsigned count) -> sectors read */
#define HOST_BLK_WRITE   2   /* (unsigned sector, const void *buf, unsigned count) -> sectors written */
#define HOST_BLK_FLUSH   3   /* () -> 0 once everything written is durable (fdatasync) */
#define HOST_BLK_INFO    4   /* () -> the volume's size in sectors */
#define HOST_TIME_NS     5   /* (unsigned long long *ns) -> 0: virtual nanoseconds */
#define HOST_LOG         6   /* (const char *text, unsigned len) -> 0: text for the VMM's module log */
#define HOST_EXIT        7   /* (int status) the module gave up (exit, abort, assert): the call fails with -EIO */

#define HOST_SECTOR      512

unsigned int __mx86_vmcall(unsigned int nr, unsigned int a, unsigned int b, unsigned int c, unsigned int d, unsigned int e);

#endif
