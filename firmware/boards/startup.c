/*
 * Reset and exception handling for every board: vector table, reset handler (FPU/MVE on,
 * .data copied, .bss zeroed, then main), and one handler for every fault.
 */
#include <stdint.h>
#include <string.h>

#include "board.h"

extern uint32_t __stack_top[], __data_start[], __data_end[], __data_load[], __bss_start[], __bss_end[];
int main(void);

void board_reset(void);
static void board_fault_entry(void);

/* System exceptions only: nothing here enables an interrupt. Index 7 is SecureFault on ARMv8-M. */
__attribute__((section(".vectors"), used)) static void (*const board_vectors[16])(void) = {
    (void (*)(void))(uintptr_t)__stack_top, /* 0: initial main stack pointer */
    board_reset,                            /* 1: reset */
    board_fault_entry,                      /* 2: NMI */
    board_fault_entry,                      /* 3: HardFault */
    board_fault_entry,                      /* 4: MemManage */
    board_fault_entry,                      /* 5: BusFault */
    board_fault_entry,                      /* 6: UsageFault */
    board_fault_entry,                      /* 7: SecureFault */
    0,
    0,
    0,
    board_fault_entry, /* 11: SVCall */
    board_fault_entry, /* 12: DebugMonitor */
    0,
    board_fault_entry, /* 14: PendSV */
    board_fault_entry, /* 15: SysTick */
};

/* Reached from board_reset with the FPU on. Calls memcpy/memset rather than loops of its own,
 * so that no optimisation can turn the loops into vector code or into calls to themselves. */
__attribute__((noreturn, used)) void board_start(void) {
  memcpy(__data_start, __data_load, (size_t)((char *)__data_end - (char *)__data_start));
  memset(__bss_start, 0, (size_t)((char *)__bss_end - (char *)__bss_start));
  board_init();
  board_exit(main());
}

/* Written in assembly so that nothing touches an FP register before CPACR grants access. */
__attribute__((naked, noreturn)) void board_reset(void) {
  __asm volatile(
#if defined(__ARM_FP) || defined(__ARM_FEATURE_MVE)
      "movw r0, #0xED88\n" /* CPACR, 0xE000ED88 */
      "movt r0, #0xE000\n"
      "ldr r1, [r0]\n"
      "orr r1, r1, #0xF00000\n" /* CP10 and CP11 (FPU and MVE): full access */
      "str r1, [r0]\n"
      "dsb\n"
      "isb\n"
#endif
      "bl board_start\n");
}

void board_init(void) {
#if __ARM_ARCH >= 7 || defined(__ARM_ARCH_8M_BASE__)
  /* VTOR, 0xE000ED08: already right after reset under QEMU; set for boards booting elsewhere. */
  *(volatile uint32_t *)0xE000ED08u = (uint32_t)(uintptr_t)board_vectors;
#endif
}

/* frame: the exception stack frame (r0-r3, r12, lr, pc, xpsr); ipsr: the exception number. */
__attribute__((noreturn, used)) void board_fault_report(const uint32_t *frame, uint32_t ipsr) {
  board_puts("fault: exception ");
  board_put_int((int32_t)(ipsr & 0x1FFu));
  board_puts(" pc=");
  board_put_hex(frame[6]);
  board_puts(" lr=");
  board_put_hex(frame[5]);
  board_puts("\n");
  board_exit(BOARD_EXIT_FAULT);
}

/* Every handler runs on the main stack (the PSP is never used). */
__attribute__((naked, noreturn)) static void board_fault_entry(void) {
  __asm volatile(
      "mrs r0, msp\n"
      "mrs r1, ipsr\n"
      "bl board_fault_report\n");
}
