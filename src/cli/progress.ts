/**
 * Training progress: a progress bar on a terminal, a plain line every few epochs otherwise, nothing when
 * quiet. Always on stderr, so that stdout stays clean for --json.
 */
import cliProgress from "cli-progress";
import type { Logs } from "../train/callbacks.js";

export interface EpochProgress {
  onEpoch(epoch: number, epochs: number, logs: Logs): void;
  stop(): void;
}

function describe(logs: Logs): string {
  return Object.entries(logs)
    .map(([k, v]) => `${k} ${v.toPrecision(4)}`)
    .join("  ");
}

export function epochProgress(quiet: boolean): EpochProgress {
  if (quiet) return { onEpoch() {}, stop() {} };
  const stream = process.stderr;
  if (!stream.isTTY) {
    return {
      onEpoch(epoch, epochs, logs) {
        const every = Math.max(1, Math.floor(epochs / 10));
        if ((epoch + 1) % every === 0 || epoch === 0 || epoch + 1 === epochs) {
          stream.write(`epoch ${epoch + 1}/${epochs}  ${describe(logs)}\n`);
        }
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: "training |{bar}| epoch {value}/{total}  {logs}",
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    onEpoch(epoch, epochs, logs) {
      if (!started) {
        bar.start(epochs, 0, { logs: "" });
        started = true;
      }
      bar.update(epoch + 1, { logs: describe(logs) });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
