/*
 * The test guest for runQemu, one program for every behaviour so that each target compiles once.
 * Its first argument chooses:
 *   checksum  FNV-1a over the words 0..999, printed three ways, then the start-up values of
 *             .data and .bss; exits 42
 *   echo      prints its command line, echoes standard input up to a '.'; exits with the count
 *   fault     calls an address in the execute-never system region: a HardFault on every core
 *   lockup    points the main stack at the system region, then faults: the handler cannot run
 *   hang      never exits
 */
#include <stdint.h>
#include <string.h>

#include "board.h"

uint32_t initialised = 12345; /* .data */
uint32_t zeroed;              /* .bss */

static int checksum(void) {
  uint32_t h = 2166136261u;
  for (uint32_t i = 0; i < 1000u; i++) {
    h ^= i;
    h *= 16777619u;
  }
  board_puts("checksum ");
  board_put_int((int32_t)h);
  board_putc(' ');
  board_put_hex(h);
  board_putc('\n');
  board_put_int(INT32_MIN);
  board_putc(' ');
  board_put_int(INT32_MAX);
  board_putc(' ');
  board_put_int(0);
  board_putc(' ');
  board_put_int((int32_t)initialised);
  board_putc(' ');
  board_put_int((int32_t)zeroed);
  board_putc('\n');
  return 42;
}

static int echo(const char *cmdline) {
  board_puts("args: ");
  board_puts(cmdline);
  board_putc('\n');
  int count = 0;
  for (int c = board_getc(); c != '.'; c = board_getc()) {
    board_putc((char)c);
    count++;
  }
  return count;
}

static int fault(void) {
  board_puts("calling 0xe00ff000\n");
  ((void (*)(void))(uintptr_t)0xE00FF001u)(); /* bit 0: Thumb */
  board_puts("returned\n");
  return 0;
}

static int lockup(void) {
  board_puts("breaking the stack\n");
  __asm volatile(
      "msr msp, %0\n"
      "udf #0\n"
      :
      : "r"(0xE00FF000u)
      : "memory");
  return 0;
}

__attribute__((noreturn)) static void hang(void) {
  board_puts("spinning\n");
  for (volatile uint32_t i = 0;; i++) {
  }
}

int main(void) {
  char cmdline[80];
  if (board_cmdline(cmdline, (int)sizeof cmdline) < 0) return 100;
  const char *space = strchr(cmdline, ' ');
  const char *mode = space == NULL ? "" : space + 1;
  if (strncmp(mode, "checksum", 8) == 0) return checksum();
  if (strncmp(mode, "echo", 4) == 0) return echo(cmdline);
  if (strncmp(mode, "fault", 5) == 0) return fault();
  if (strncmp(mode, "lockup", 6) == 0) return lockup();
  if (strncmp(mode, "hang", 4) == 0) hang();
  board_puts("unknown mode\n");
  return 101;
}
