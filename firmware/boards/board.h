/*
 * Board support for running nn2c firmware under QEMU (and on any Cortex-M with a debugger that
 * implements Arm semihosting). One header for every board; the board itself is chosen by the
 * linker script (firmware/boards/<machine>/memory.ld) and the -mcpu flags.
 *
 * Output and input go through semihosting (BKPT 0xAB): no UART, no printf, no heap.
 */
#ifndef BOARD_H
#define BOARD_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Exit status after a HardFault (or any other fault or unexpected exception): the fault handler
 * prints "fault: ..." and calls board_exit(BOARD_EXIT_FAULT). */
#define BOARD_EXIT_FAULT 0xFA

/* Called by the reset handler before main(); main() need not call it. The reset handler has
 * already enabled the FPU/MVE (where present), copied .data and zeroed .bss. */
void board_init(void);

/* Writes a NUL-terminated string to the host's standard output. */
void board_puts(const char *s);

/* Writes one character to the host's standard output. */
void board_putc(char c);

/* Writes v in decimal, with a leading '-' when negative (INT32_MIN included). */
void board_put_int(int32_t v);

/* Writes v as "0x" followed by exactly 8 lower-case hex digits. */
void board_put_hex(uint32_t v);

/* Reads one character from the host's standard input; blocks until one is available.
 * Returns 0..255. At end of input the host (QEMU 7.2) keeps blocking: send a terminator. */
int board_getc(void);

/* Opens a file of the host for reading (binary); path is as the host sees it (QEMU resolves a
 * relative path against its working directory). Returns a handle, or -1. */
int board_open(const char *path);

/* Reads up to size bytes of an open host file into buf. Returns the count read, 0 at the end of the
 * file, or -1 on an error. (Reading the console ":tt" this way loses bytes under QEMU 7.2: use
 * board_getc for standard input.) */
int board_read(int handle, char *buf, int size);

/* Copies the command line (QEMU's -semihosting-config arg=... list, joined by spaces) into
 * buf, NUL-terminated. Returns its length, or -1 if it does not fit in size bytes. */
int board_cmdline(char *buf, int size);

/* Ends the program: the host (QEMU) exits with status code & 0xFF. Does not return. */
__attribute__((noreturn)) void board_exit(int code);

/* Instruction-count markers for the qemu-icount plugin (firmware/tools/qemu-icount): the
 * plugin counts the instructions executed after board_mark_begin(id) returns up to and
 * including the call to board_mark_end(id) (the call costs about 2 instructions).
 * id: 0..65535. Regions may nest when their ids differ. Without the plugin they cost a few
 * instructions and do nothing. */
void board_mark_begin(uint32_t id);
void board_mark_end(uint32_t id);

#ifdef __cplusplus
}
#endif

#endif /* BOARD_H */
