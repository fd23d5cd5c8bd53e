/*
 * qemu-icount: a QEMU TCG plugin that counts executed guest instructions exactly and snapshots
 * the count at the board_mark_begin/board_mark_end markers of firmware/boards.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later (it includes QEMU's qemu-plugin.h); see LICENSE.
 *
 * Arguments (-plugin libicount.so,out=FILE,begin=ADDR,end=ADDR,window=ADDR):
 *   out     file the results are written to (required)
 *   begin   address of board_mark_begin, end: of board_mark_end (hex or decimal, Thumb bit ignored)
 *   window  address of board_mark_window: a marker reads the byte at window + id
 *
 * Output, one event a line, written when QEMU exits:
 *   begin <id> <count>   count: instructions executed up to and including board_mark_begin's return
 *   end <id> <count>     count: instructions executed before board_mark_end's first instruction
 *   total <count>        every instruction executed, from reset to exit
 *   missed <n>           (only if) n marker calls made no recognisable load: counts unreliable
 * so end - begin counts the region's instructions plus the call to board_mark_end.
 *
 * Counting: one inline add of the block's length at the start of each translation block (TCG
 * ends a block at every branch and at every exception-raising instruction such as BKPT, so no
 * block stops half-way in a run that does not fault). QEMU 7.2 plugins cannot read registers,
 * so the marker id comes from the address of the one byte load each marker makes.
 */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

enum { WINDOW_SIZE = 0x10000 }; /* ids 0..65535 */

typedef struct {
  char kind;      /* 'b' begin, 'e' end */
  uint32_t id;
  uint64_t count;
} Event;

static uint64_t insns; /* the inline counter: a single vCPU on every Cortex-M machine */
static uint64_t begin_pc = UINT64_MAX, end_pc = UINT64_MAX, window = UINT64_MAX;
static char *out_path;
static Event *events;
static size_t n_events, cap_events;
static int overflow;           /* out of memory for events: reported in the output */
static uint64_t marker_entries; /* executions of a marker's block: one event each, or a miss */
static int pending;             /* a marker block is executing and has not made its load yet */

/* udata packs the marker kind (bit 0: 1 = end) and the marker block's length (the rest). */
static void on_marker_load(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr,
                           void *udata) {
  (void)vcpu;
  /* The marker's one byte load: not its literal-pool load (4 bytes, and possibly inside the
   * window too when code sits at the window), nor a spill to the stack at -O0. */
  if (qemu_plugin_mem_is_store(info) || qemu_plugin_mem_size_shift(info) != 0) return;
  if (vaddr < window || vaddr - window >= WINDOW_SIZE) return;
  /* QEMU 7.2 can report other loads (MVE vector loads) to the last instrumented instruction's
   * callback: only the first load after a marker block starts is the marker's. */
  if (!pending) return;
  pending = 0;
  uintptr_t packed = (uintptr_t)udata;
  int is_end = (int)(packed & 1u);
  uint64_t tb_insns = (uint64_t)(packed >> 1);
  if (n_events == cap_events) {
    size_t cap = cap_events ? 2 * cap_events : 1024;
    Event *grown = realloc(events, cap * sizeof *grown);
    if (grown == NULL) {
      overflow = 1;
      return;
    }
    events = grown;
    cap_events = cap;
  }
  /* The block's inline add already ran: for an end marker, take its whole block back out. */
  events[n_events++] = (Event){
      .kind = is_end ? 'e' : 'b',
      .id = (uint32_t)(vaddr - window),
      .count = is_end ? insns - tb_insns : insns,
  };
}

static void on_marker_entry(unsigned int vcpu, void *udata) {
  (void)vcpu;
  (void)udata;
  marker_entries++;
  pending = 1;
}

static void on_tb_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
  (void)id;
  size_t n = qemu_plugin_tb_n_insns(tb);
  qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &insns, n);
  uint64_t pc = qemu_plugin_tb_vaddr(tb);
  if (pc != begin_pc && pc != end_pc) return;
  qemu_plugin_register_vcpu_tb_exec_cb(tb, on_marker_entry, QEMU_PLUGIN_CB_NO_REGS, NULL);
  uintptr_t packed = ((uintptr_t)n << 1) | (pc == end_pc ? 1u : 0u);
  /* QEMU_PLUGIN_MEM_RW: QEMU 7.2 never calls back a QEMU_PLUGIN_MEM_R registration made next
   * to an inline op (measured); stores are filtered out above instead. */
  for (size_t i = 0; i < n; i++) {
    struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
    /* Only the marker's own scalar byte load: vector loads (MVE VLDRB) also report one-byte
     * accesses, one per lane. */
    char *text = qemu_plugin_insn_disas(insn);
    int scalar_byte_load = text != NULL && strncmp(text, "ldrb", 4) == 0;
    free(text);
    if (!scalar_byte_load) continue;
    qemu_plugin_register_vcpu_mem_cb(insn, on_marker_load, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_RW,
                                     (void *)packed);
  }
}

static void write_results(qemu_plugin_id_t id, void *p) {
  (void)id;
  (void)p;
  FILE *f = fopen(out_path, "w");
  if (f == NULL) {
    fprintf(stderr, "qemu-icount: cannot write %s\n", out_path);
    return;
  }
  for (size_t i = 0; i < n_events; i++) {
    fprintf(f, "%s %" PRIu32 " %" PRIu64 "\n", events[i].kind == 'e' ? "end" : "begin", events[i].id,
            events[i].count);
  }
  if (overflow) fprintf(f, "overflow\n");
  /* A marker whose load fell outside its first block (it straddled a page) would go unseen. */
  if (!overflow && marker_entries != n_events) fprintf(f, "missed %" PRIu64 "\n", marker_entries - n_events);
  fprintf(f, "total %" PRIu64 "\n", insns);
  fclose(f);
}

static int parse_number(const char *text, uint64_t *value) {
  char *rest;
  unsigned long long v = strtoull(text, &rest, 0);
  if (*text == '\0' || *rest != '\0') return 0;
  *value = (uint64_t)v;
  return 1;
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
                                           char **argv) {
  if (!info->system_emulation || info->system.max_vcpus != 1) {
    fprintf(stderr, "qemu-icount: needs system emulation with one vCPU\n");
    return -1;
  }
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i];
    const char *eq = strchr(arg, '=');
    int ok = eq != NULL;
    if (ok && strncmp(arg, "out=", 4) == 0) {
      out_path = strdup(eq + 1);
    } else if (ok && strncmp(arg, "begin=", 6) == 0) {
      ok = parse_number(eq + 1, &begin_pc);
      begin_pc &= ~(uint64_t)1; /* a Thumb function's symbol has bit 0 set */
    } else if (ok && strncmp(arg, "end=", 4) == 0) {
      ok = parse_number(eq + 1, &end_pc);
      end_pc &= ~(uint64_t)1;
    } else if (ok && strncmp(arg, "window=", 7) == 0) {
      ok = parse_number(eq + 1, &window);
    } else {
      ok = 0;
    }
    if (!ok) {
      fprintf(stderr, "qemu-icount: bad argument '%s'\n", arg);
      return -1;
    }
  }
  if (out_path == NULL || *out_path == '\0') {
    fprintf(stderr, "qemu-icount: missing out=FILE\n");
    return -1;
  }
  qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb_translate);
  qemu_plugin_register_atexit_cb(id, write_results, NULL);
  return 0;
}
