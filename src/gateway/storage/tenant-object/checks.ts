// Input checks for the tenant object's RPC methods. Every input is validated before anything is written; a bad
// call throws TenantObjectInputError and changes nothing (across RPC the caller receives an Error whose message
// starts "TenantObjectInputError: invalid …").

export class TenantObjectInputError extends TypeError {
  override name = "TenantObjectInputError";
}

export const TENANT_OBJECT_LIMITS = {
  maxTopK: 100,
  maxDims: 4096,
  maxBatch: 1000,
  maxIdLength: 128,
  maxTextLength: 1024,
  purgeBatch: 500,
} as const;
const L = TENANT_OBJECT_LIMITS;

export function fail(message: string): never {
  throw new TenantObjectInputError(message);
}

export function checkId(id: unknown): asserts id is string {
  if (typeof id !== "string" || id.length === 0 || id.length > L.maxIdLength) {
    fail(`invalid id: a string of 1–${L.maxIdLength} characters`);
  }
}

export function checkText(name: string, value: unknown): asserts value is string {
  if (typeof value !== "string" || value.length === 0 || value.length > L.maxTextLength) {
    fail(`invalid ${name}: a non-empty string`);
  }
}

export function checkTime(name: string, value: unknown): asserts value is number {
  if (!Number.isSafeInteger(value)) fail(`invalid ${name}: an integer number of milliseconds`);
}

/** The vector scaled to unit length; refuses non-arrays, wrong sizes, non-finite values and the zero vector. */
export function unit(values: unknown, what: string): number[] {
  if (!Array.isArray(values) || values.length === 0 || values.length > L.maxDims)
    fail(`${what}: 1–${L.maxDims} numbers`);
  let sum = 0;
  for (const x of values) {
    if (typeof x !== "number" || !Number.isFinite(x)) fail(`${what}: values must be finite numbers`);
    sum += x * x;
  }
  if (sum === 0) fail(`${what}: the zero vector has no direction`);
  const norm = Math.sqrt(sum);
  return (values as number[]).map((x) => x / norm);
}
