// Copies bytes where one side may be shared memory (batches live in
// SharedArrayBuffers). V8 copies to or from a SharedArrayBuffer with one
// relaxed atomic store per byte unless both sides are equally 8-byte aligned,
// which record fields and batch ranges rarely are: 1 KiB then costs about
// 0.3 us. Buffer#fill with a buffer value is one plain memcpy at any
// alignment; its fixed cost (about 90 ns) outweighs that only for short
// copies. Measured on the bench machine (2 cores), unaligned into shared
// memory: set 90 ns and fill 94 at 192 bytes, set 100 and fill 93 at 224,
// set 108 and fill 93 at 256.

/** From this many bytes on, copies go through Buffer#fill. */
export const FILL_COPY_MIN = 224;

/** Copies all of `source` into `target` at `at`. */
export function copyBytes(target: Buffer, at: number, source: Uint8Array): void {
  if (source.length >= FILL_COPY_MIN) target.fill(source, at, at + source.length);
  else target.set(source, at);
}
