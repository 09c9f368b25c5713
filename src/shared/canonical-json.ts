// Canonical JSON: object keys sorted recursively, no whitespace, undefined members dropped. Used wherever a
// hash must not depend on key order (cache partitions, audit hash chain). Keys are copied as data, so a key
// such as "__proto__" is kept like any other rather than changing an object's prototype (and vanishing).

export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : sortKeys(v)));
  if (value !== null && typeof value === "object") {
    const entries: [string, unknown][] = [];
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) entries.push([key, sortKeys(v)]);
    }
    return Object.fromEntries(entries);
  }
  return value;
}
