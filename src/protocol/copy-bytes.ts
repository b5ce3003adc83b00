// Copies bytes where one side may be shared memory (batches live in
// SharedArrayBuffers). V8 copies to or from a SharedArrayBuffer with one
// relaxed atomic store per byte unless both sides are equally 8-byte aligned,
// which record fields and batch ranges rarely are: 1 KiB then costs about
// 1 us. Buffer#fill with a buffer value is one plain memcpy at any alignment;
// its fixed cost (about 0.1 us) outweighs that only for short copies.

/** From this many bytes on, copies go through Buffer#fill. */
const FILL_COPY_MIN = 512;

/** Copies all of `source` into `target` at `at`. */
export function copyBytes(target: Buffer, at: number, source: Uint8Array): void {
  if (source.length >= FILL_COPY_MIN) target.fill(source, at, at + source.length);
  else target.set(source, at);
}
