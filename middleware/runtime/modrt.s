; modrt: the runtime linked into every hypervisor-resident module built from guest C
; (docs/modules.md). The VMM enters a module in two ways, never through an interrupt:
;   _start         once, at load: eax = heap base, ecx = heap length; runs module_init()
;   __modrt_call   per call: esp points at module_call's five arguments
; and both end with the HOST_RETURN host call carrying the C function's value in ebx.
; The libc's output and exit hooks become HOST_LOG and HOST_EXIT host calls.

.equ MODRT_HOST_RETURN, 0
.equ MODRT_HOST_LOG, 6
.equ MODRT_HOST_EXIT, 7

.text
_start:
        push ecx
        push eax
        call __libc_heap_init
        add esp, 8
        call module_init
        mov ebx, eax
        mov eax, MODRT_HOST_RETURN
        vmcall
.init_returned:
        hlt
        jmp .init_returned

__modrt_call:
        call module_call
        mov ebx, eax
        mov eax, MODRT_HOST_RETURN
        vmcall
.call_returned:
        hlt
        jmp .call_returned

; void __libc_putchar_hook(int c): one byte to the VMM's module log.
__libc_putchar_hook:
        push ebx
        lea ebx, [esp + 8]
        mov ecx, 1
        mov eax, MODRT_HOST_LOG
        vmcall
        pop ebx
        ret

; void __libc_exit_hook(int status)
__libc_exit_hook:
        mov ebx, [esp + 4]
        mov eax, MODRT_HOST_EXIT
        vmcall
.exit_returned:
        hlt
        jmp .exit_returned
