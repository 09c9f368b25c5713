// The in-memory side of the embedded vector index: one binary code per vector (the sign of each coordinate,
// one bit per dimension: 96 bytes for 768 dimensions), grouped by partition, scope and dimension, so that a
// query compares 32 dimensions per integer operation instead of reading every float from SQLite. Codes are
// persisted next to the float vectors (vectors.code) and loaded into memory once per group; the floats stay in
// SQLite and are read only for the few candidates a query re-scores exactly.
// Memory: 100,000 vectors of 768 dimensions hold 9.6 MB of codes, plus their ids — well inside a Durable
// Object's 128 MB. Every deletion forgets its vectors here; should memory still hold one SQLite no longer has,
// it is never returned (candidates are re-read from SQLite) and is forgotten then.

/** Bits set in each 16-bit value. */
const POPCOUNT16 = (() => {
  const t = new Uint8Array(65_536);
  for (let i = 1; i < t.length; i++) t[i] = (i & 1) + t[i >>> 1]!;
  return t;
})();

export const wordsFor = (dims: number) => Math.ceil(dims / 32);

/** The sign code of a vector: bit i set when coordinate i is positive. */
export function signCode(values: ArrayLike<number>): Uint32Array {
  const code = new Uint32Array(wordsFor(values.length));
  for (let i = 0; i < values.length; i++) if (values[i]! > 0) code[i >>> 5]! |= 1 << (i & 31);
  return code;
}

export const groupKey = (partition: string, scope: string, dims: number) => `${dims}\n${partition}\n${scope}`;

/** The codes of one group, in slots; removal moves the last slot into the hole. */
export class CodeGroup {
  ids: string[] = [];
  private codes: Uint32Array;
  private expires: Float64Array;
  private readonly slots = new Map<string, number>();

  constructor(readonly words: number) {
    this.codes = new Uint32Array(words * 64);
    this.expires = new Float64Array(64);
  }

  get size(): number {
    return this.ids.length;
  }

  put(id: string, code: Uint32Array, expiresAt: number): void {
    let slot = this.slots.get(id);
    if (slot === undefined) {
      slot = this.ids.length;
      if (slot === this.expires.length) this.grow();
      this.ids.push(id);
      this.slots.set(id, slot);
    }
    this.codes.set(code, slot * this.words);
    this.expires[slot] = expiresAt;
  }

  remove(id: string): void {
    const slot = this.slots.get(id);
    if (slot === undefined) return;
    const last = this.ids.length - 1;
    if (slot !== last) {
      const moved = this.ids[last]!;
      this.ids[slot] = moved;
      this.slots.set(moved, slot);
      this.codes.copyWithin(slot * this.words, last * this.words, (last + 1) * this.words);
      this.expires[slot] = this.expires[last]!;
    }
    this.ids.pop();
    this.slots.delete(id);
  }

  /**
   * The ids of the `count` vectors unexpired at `now` nearest the query's code (fewest differing bits; ties by
   * slot). Expired vectors stay: a stale lookup (an earlier `now`) may still want them until they are swept.
   */
  nearest(query: Uint32Array, count: number, now: number): string[] {
    const n = this.ids.length;
    const { words, codes, expires } = this;
    const dims = words * 32;
    const distance = new Uint16Array(n);
    const histogram = new Uint32Array(dims + 1);
    for (let s = 0; s < n; s++) {
      if (expires[s]! <= now) {
        distance[s] = dims + 1;
        continue;
      }
      let d = 0;
      const base = s * words;
      for (let w = 0; w < words; w++) {
        const x = (codes[base + w]! ^ query[w]!) >>> 0;
        d += POPCOUNT16[x & 0xffff]! + POPCOUNT16[x >>> 16]!;
      }
      distance[s] = d;
      histogram[d]!++;
    }
    // The smallest distance at which `count` candidates are reached: every slot below it, then enough at it.
    let cutoff = 0;
    for (let seen = 0; cutoff <= dims && seen + histogram[cutoff]! < count; cutoff++) seen += histogram[cutoff]!;
    const ids: string[] = [];
    for (let s = 0; s < n; s++) if (distance[s]! < cutoff) ids.push(this.ids[s]!);
    for (let s = 0; s < n && ids.length < count && cutoff <= dims; s++) {
      if (distance[s] === cutoff) ids.push(this.ids[s]!);
    }
    return ids;
  }

  private grow(): void {
    const codes = new Uint32Array(this.codes.length * 2);
    codes.set(this.codes);
    this.codes = codes;
    const expires = new Float64Array(this.expires.length * 2);
    expires.set(this.expires);
    this.expires = expires;
  }
}

/** Every loaded group of one tenant object, and which group each loaded id is in. */
export class CodeGroups {
  private readonly groups = new Map<string, CodeGroup>();
  private readonly groupOf = new Map<string, string>();

  get(key: string): CodeGroup | undefined {
    return this.groups.get(key);
  }

  add(key: string, group: CodeGroup): void {
    this.groups.set(key, group);
    for (const id of group.ids) this.groupOf.set(id, key);
  }

  /** Records a vector in its group, if that group is loaded (otherwise it is read with the group). */
  put(key: string, id: string, code: Uint32Array, expiresAt: number): void {
    const previous = this.groupOf.get(id);
    if (previous !== undefined && previous !== key) this.forget([id]);
    const group = this.groups.get(key);
    if (!group) return;
    group.put(id, code, expiresAt);
    this.groupOf.set(id, key);
  }

  forget(ids: Iterable<string>): void {
    for (const id of ids) {
      const key = this.groupOf.get(id);
      if (key === undefined) continue;
      this.groups.get(key)?.remove(id);
      this.groupOf.delete(id);
    }
  }

  /** Drops everything (after a bulk erasure); groups are read again on their next query. */
  clear(): void {
    this.groups.clear();
    this.groupOf.clear();
  }
}
