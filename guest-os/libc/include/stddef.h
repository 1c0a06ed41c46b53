/* stddef.h: the sizes come from the compiler's predefined macros, so gcc and vamos cc agree. */
#ifndef _STDDEF_H
#define _STDDEF_H

typedef __SIZE_TYPE__ size_t;
typedef __PTRDIFF_TYPE__ ptrdiff_t;
typedef __WCHAR_TYPE__ wchar_t;

#define NULL ((void *)0)

#ifdef __vamos__
#define offsetof(type, member) ((size_t)&((type *)0)->member)
#else
#define offsetof(type, member) __builtin_offsetof(type, member)
#endif

#endif
