// A deterministic generator of JSON values that validate against simple JSON Schemas: the arguments of tool
// calls and the content of `json_schema` structured outputs. Supported: type (one or a list), object with
// properties/required/additionalProperties, array with items/minItems/maxItems, string with
// minLength/maxLength and the formats date-time, date, time, email, uri, uuid, number and integer with
// minimum/maximum (inclusive or exclusive) and multipleOf, boolean, null, enum, const, anyOf/oneOf (the first
// alternative that is not null), allOf (the first member), and local $ref (#/$defs/…, #/definitions/…),
// recursive ones included.
// Not honoured: pattern (a string is not generated to match it), uniqueItems, if/then/else, not.
import type { Rng } from "./determinism";

type Schema = Record<string, unknown>;

export interface ValueSource {
  /** Strings are cut from this text (the question, or the answer sentence). */
  text: string;
  rng: Rng;
}

/**
 * From this depth on, values are as small as the schema allows (required properties only, minItems items,
 * the null alternative if there is one), so a recursive schema ends; deeper than MAX_DEPTH, null.
 */
const SHRINK_DEPTH = 4;
const MAX_DEPTH = 16;
/** Array length when the schema leaves it free. */
const DEFAULT_ITEMS = 2;
/** Length of a free string. */
const DEFAULT_STRING_CHARS = 80;

const isSchema = (v: unknown): v is Schema => v !== null && typeof v === "object" && !Array.isArray(v);

export function valueFor(schema: unknown, source: ValueSource): unknown {
  const root = isSchema(schema) ? schema : {};
  return generate(root, root, source, "", 0);
}

function generate(schema: Schema, root: Schema, src: ValueSource, key: string, depth: number): unknown {
  if (depth > MAX_DEPTH) return null;
  const s = resolve(schema, root);
  if ("const" in s) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[src.rng.below(s.enum.length)];
  const alternatives = (Array.isArray(s.anyOf) ? s.anyOf : Array.isArray(s.oneOf) ? s.oneOf : null)?.filter(isSchema);
  if (alternatives?.length) {
    const isNull = (a: Schema) => resolve(a, root).type === "null";
    const chosen =
      (depth >= SHRINK_DEPTH ? alternatives.find(isNull) : alternatives.find((a) => !isNull(a))) ?? alternatives[0]!;
    return generate({ ...withoutKeys(s, ["anyOf", "oneOf"]), ...chosen }, root, src, key, depth + 1);
  }
  if (Array.isArray(s.allOf) && isSchema(s.allOf[0])) {
    return generate({ ...withoutKeys(s, ["allOf"]), ...s.allOf[0] }, root, src, key, depth + 1);
  }
  switch (typeOf(s)) {
    case "object":
      return objectFor(s, root, src, depth);
    case "array":
      return arrayFor(s, root, src, key, depth);
    case "integer":
      return numberFor(s, src, true);
    case "number":
      return numberFor(s, src, false);
    case "boolean":
      return src.rng.below(2) === 1;
    case "null":
      return null;
    default:
      return stringFor(s, src, key);
  }
}

/** The type to generate: the schema's (the first non-null one of a list), else guessed from its keywords. */
function typeOf(s: Schema): string {
  const types = (Array.isArray(s.type) ? s.type : [s.type]).filter((t): t is string => typeof t === "string");
  const chosen = types.find((t) => t !== "null") ?? types[0];
  if (chosen) return chosen;
  if (isSchema(s.properties)) return "object";
  if ("items" in s) return "array";
  if ("minimum" in s || "maximum" in s) return "number";
  return "string";
}

function resolve(schema: Schema, root: Schema): Schema {
  let s = schema;
  for (let hops = 0; typeof s.$ref === "string" && hops < MAX_DEPTH; hops++) {
    const match = /^#\/(\$defs|definitions)\/(.+)$/.exec(s.$ref);
    const defs = match ? root[match[1]!] : undefined;
    const target = match && isSchema(defs) ? defs[decodeURIComponent(match[2]!)] : undefined;
    if (!isSchema(target)) return {};
    s = { ...withoutKeys(s, ["$ref"]), ...target };
  }
  return s;
}

function objectFor(s: Schema, root: Schema, src: ValueSource, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const properties = isSchema(s.properties) ? s.properties : {};
  const required = Array.isArray(s.required) ? s.required : [];
  // Every declared property is filled, the optional ones too (valid either way, and it exercises more),
  // until values shrink.
  for (const [name, sub] of Object.entries(properties)) {
    if (depth >= SHRINK_DEPTH && !required.includes(name)) continue;
    out[name] = generate(isSchema(sub) ? sub : {}, root, src, name, depth + 1);
  }
  return out;
}

function arrayFor(s: Schema, root: Schema, src: ValueSource, key: string, depth: number): unknown[] {
  const min = nonNegativeInt(s.minItems) ?? 0;
  const max = nonNegativeInt(s.maxItems) ?? Number.POSITIVE_INFINITY;
  const length = depth >= SHRINK_DEPTH ? min : Math.min(max, Math.max(min, DEFAULT_ITEMS));
  const items = isSchema(s.items) ? s.items : {};
  return Array.from({ length }, () => generate(items, root, src, key, depth + 1));
}

function numberFor(s: Schema, src: ValueSource, integer: boolean): number {
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
  // Draft 4 writes exclusiveMinimum: true beside minimum; later drafts write the bound itself.
  const exclusiveLow = num(s.exclusiveMinimum) ?? (s.exclusiveMinimum === true ? num(s.minimum) : undefined);
  const exclusiveHigh = num(s.exclusiveMaximum) ?? (s.exclusiveMaximum === true ? num(s.maximum) : undefined);
  const low = exclusiveLow ?? num(s.minimum) ?? Number.NEGATIVE_INFINITY;
  const high = exclusiveHigh ?? num(s.maximum) ?? Number.POSITIVE_INFINITY;
  const step = num(s.multipleOf) && (s.multipleOf as number) > 0 ? (s.multipleOf as number) : 1;
  const unit = integer ? Math.max(1, Math.ceil(step)) : step;
  // Whole multiples of the step inside the bounds (strictly inside an exclusive bound).
  let first = Math.ceil(low / unit);
  if (exclusiveLow !== undefined && first * unit <= exclusiveLow) first++;
  let last = Math.floor(high / unit);
  if (exclusiveHigh !== undefined && last * unit >= exclusiveHigh) last--;
  if (first > last) return integer ? Math.ceil(low) : (low + high) / 2; // no multiple fits: the midpoint
  // Prefer the window 0..100 where it meets the bounds: friendly numbers, and no overflow near the extremes.
  const from = Math.max(first, Math.min(last, 0));
  const to = Math.min(last, from + Math.floor(100 / unit));
  const k = from + src.rng.below(to - from + 1);
  return Number((k * unit).toPrecision(12));
}

function stringFor(s: Schema, src: ValueSource, key: string): string {
  const formatted = formatValue(s.format, src);
  if (formatted !== null) return formatted;
  const min = nonNegativeInt(s.minLength) ?? 0;
  const max = nonNegativeInt(s.maxLength) ?? Math.max(min, DEFAULT_STRING_CHARS);
  let points = Array.from(src.text.trim() || key || "value");
  while (points.length < min) points = [...points, " ", ...points];
  return points.slice(0, Math.max(min, Math.min(max, points.length))).join("");
}

function formatValue(format: unknown, src: ValueSource): string | null {
  const hex = (n: number) => src.rng.chars(n, "0123456789abcdef");
  switch (format) {
    case "date-time":
      return `2025-0${1 + src.rng.below(9)}-1${src.rng.below(10)}T12:00:00Z`;
    case "date":
      return `2025-0${1 + src.rng.below(9)}-1${src.rng.below(10)}`;
    case "time":
      return `12:${src.rng.below(6)}0:00`;
    case "email":
      return `user${src.rng.below(1000)}@example.com`;
    case "uri":
    case "url":
      return `https://example.com/${hex(8)}`;
    case "uuid":
      return `${hex(8)}-${hex(4)}-4${hex(3)}-${"89ab"[src.rng.below(4)]}${hex(3)}-${hex(12)}`;
    default:
      return null;
  }
}

const nonNegativeInt = (v: unknown): number | undefined =>
  typeof v === "number" && Number.isInteger(v) && v >= 0 ? v : undefined;

function withoutKeys(s: Schema, keys: string[]): Schema {
  const out = { ...s };
  for (const k of keys) delete out[k];
  return out;
}
