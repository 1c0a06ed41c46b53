; task_switch(uint32_t *save_esp, uint32_t new_esp): the in-flight server's (inflight.c) switch
; between its scheduler and a connection's task, as the kernel's swtch does between processes:
; saves the callee-saved registers on this stack, stores esp in *save_esp, resumes new_esp.
; eax, ecx and edx are caller-saved (cdecl), so they need no saving.

.text
.global task_switch
task_switch:
        mov eax, [esp + 4]
        mov edx, [esp + 8]
        push ebp
        push ebx
        push esi
        push edi
        mov [eax], esp
        mov esp, edx
        pop edi
        pop esi
        pop ebx
        pop ebp
        ret
