/* setjmp.h: ebx, esi, edi, ebp, esp and the return address (guest-os/libc/src/setjmp.s). */
#ifndef _SETJMP_H
#define _SETJMP_H

#ifdef __vamos__
typedef int jmp_buf[6];
#else
typedef long jmp_buf[8];
#endif

int setjmp(jmp_buf env);
void longjmp(jmp_buf env, int val);

#endif
