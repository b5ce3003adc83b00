// Values for the compressed workloads: JSON events of exactly `size` bytes
// that compress like real ones (gzip about 4x, lz4 and snappy about 2.5x on
// 1 KiB values), not repeated bytes: random ids, timestamps, amounts and
// SKUs, a few repeated field names and words. Deterministic (xorshift32), no
// tab or newline inside (kcat and ProducerPerformance read one per line).

const WORDS = (
  'the of and to in is you that it he was for on are as with his they at be this have from or one had by word but not what all were we ' +
  'when your can said there use an each which she do how their if will up other about out many then them these so some her would make ' +
  'like him into time has look two more write go see number no way could people my than first water been call who oil its now find long'
).split(' ');
const EVENTS = ['page_view', 'click', 'purchase', 'signup', 'logout'];
const COUNTRIES = ['US', 'DE', 'FR', 'IN', 'BR', 'JP', 'GB'];

interface Item {
  sku: string;
  qty: number;
  price: number;
}

/** `count` distinct JSON-like values of `size` bytes each (size >= 256). */
export function jsonValues(count: number, size: number, seed = 1): Buffer[] {
  let x = seed | 0 || 1;
  const random = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(random() * n);
  const pick = <T>(list: readonly T[]): T => list[int(list.length)] as T;
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const items: Item[] = [];
    const event = {
      id: `${int(1e9).toString(16)}-${int(1e9).toString(36)}`,
      ts: 1_733_600_000_000 + int(1e8),
      user: { id: int(100_000), name: `${pick(WORDS)}_${pick(WORDS)}${int(1000)}`, country: pick(COUNTRIES) },
      event: pick(EVENTS),
      amount: int(100_000) / 100,
      items,
      note: '',
    };
    let text = JSON.stringify(event);
    while (text.length < size) {
      items.push({ sku: `SKU-${int(1e6)}`, qty: 1 + int(5), price: int(10_000) / 100 });
      if (random() < 0.5) event.note += `${pick(WORDS)} ${pick(WORDS)} `;
      text = JSON.stringify(event);
    }
    // One item too many: drop it, then make the note (plain ASCII, one byte
    // a character) longer or shorter so the value is exactly `size` bytes.
    items.pop();
    const missing = size - JSON.stringify(event).length;
    if (missing < 0) event.note = event.note.slice(0, event.note.length + missing);
    else {
      let words = '';
      while (words.length < missing) words += `${pick(WORDS)} `;
      event.note += words.slice(0, missing);
    }
    out.push(Buffer.from(JSON.stringify(event)));
  }
  return out;
}
