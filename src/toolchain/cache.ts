/** The folder for things nn2c builds once and reuses: the qemu-icount plugin, board objects. */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** $NN2C_CACHE_DIR, else <os tmpdir>/nn2c-cache. */
export function cacheDir(): string {
  return process.env.NN2C_CACHE_DIR ?? join(tmpdir(), "nn2c-cache");
}

export function hashOf(...parts: (string | Uint8Array)[]): string {
  const h = createHash("sha256");
  for (const part of parts) h.update(part).update("\0");
  return h.digest("hex").slice(0, 16);
}

/**
 * The cache entry `name` (a folder), made by `build` into a fresh folder when missing. Made under a
 * temporary name and renamed, so that concurrent processes never see half an entry.
 */
export async function cachedFolder(name: string, build: (dir: string) => Promise<void>): Promise<string> {
  const final = join(cacheDir(), name);
  if (existsSync(final)) return final;
  await mkdir(cacheDir(), { recursive: true });
  const partial = await mkdtemp(`${final}.tmp-`);
  try {
    await build(partial);
    await rename(partial, final).catch((e: NodeJS.ErrnoException) => {
      // Another process finished first: keep its entry.
      if (!existsSync(final)) throw e;
    });
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
  return final;
}
