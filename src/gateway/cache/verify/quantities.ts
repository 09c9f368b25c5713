// Quantities in a prompt: numbers with their signs, arithmetic, and units. Read from the original tokens (the
// semantic text drops signs), in one pass each.
import { isBinaryOperatorAt, isUnaryMinusAt, numberValue, type Token } from "../../text/tokens";
import { numberWordAt, ORDINAL_SUFFIXES } from "../../text/words";

/** Word operators between two operands ("3 plus 5"), as symbols; "divided"/"multiplied" take a following "by". */
const WORD_OPERATORS = new Map([
  ["plus", "+"],
  ["minus", "-"],
  ["times", "*"],
  ["multiplied", "*"],
  ["divided", "/"],
  ["mod", "%"],
  ["modulo", "%"],
]);
const SYMBOL_OPERATORS = new Map([
  ["−", "-"],
  ["×", "*"],
  ["·", "*"],
  ["÷", "/"],
]);

/** Units by their spellings, read after a number ("5 km") and alone ("per day", "feet in a mile"). */
const UNITS = new Map<string, { unit: string }>();
for (const group of (
  "km|kms|kilometer|kilometers|kilometre|kilometres,m|meter|meters|metre|metres,cm|centimeter|" +
  "centimeters|centimetre|centimetres,mm|millimeter|millimeters|millimetre|millimetres,mi|mile|miles," +
  "ft|foot|feet,inch|inches,yd|yard|yards,kg|kgs|kilogram|kilograms|kilo|kilos,g|gram|grams|gramme," +
  "mg|milligram|milligrams,lb|lbs|pound|pounds,oz|ounce|ounces,t|ton|tons|tonne|tonnes,°c|celsius|" +
  "centigrade,°f|fahrenheit,kelvin,°|degree|degrees,byte|bytes,kb|kilobyte|kilobytes,mb|megabyte|" +
  "megabytes,gb|gigabyte|gigabytes,tb|terabyte|terabytes,kib,mib,gib,tib,bit|bits,kbps,mbps,gbps," +
  "ms|millisecond|milliseconds,s|sec|secs|second|seconds,min|mins|minute|minutes,h|hr|hrs|hour|hours," +
  "day|days,week|weeks,month|months,year|years|yr|yrs,decade|decades,century|centuries,l|liter|liters|litre|" +
  "litres,ml|milliliter|milliliters|millilitre|millilitres,gallon|gallons|gal,cup|cups,tbsp|" +
  "tablespoon|tablespoons,tsp|teaspoon|teaspoons,pint|pints,quart|quarts,mph,kph|kmh,cal|calorie|" +
  "calories,kcal,kj,joule|joules,w|watt|watts,kw|kilowatt|kilowatts,kwh,v|volt|volts,amp|amps|" +
  "ampere|amperes,mah,hz|hertz,khz,mhz,ghz,usd|dollar|dollars|$,eur|euro|euros|€,gbp|£," +
  "jpy|yen|¥,inr|rupee|rupees,cent|cents,%|percent|pct,acre|acres,hectare|hectares,px|pixels," +
  "rad|radian|radians"
).split(",")) {
  const names = group.split("|");
  for (const name of names) UNITS.set(name, { unit: names[0]! });
}

/**
 * The unit a word names, in any case, except that a data size or rate keeps its "b" apart from its "B", bits from
 * bytes, where the writing tells them apart ("Mb" ≠ "MB", "Mbps" ≠ "MBps", 8 times as fast); in lower case it reads
 * as usual ("mb" a megabyte, "mbps" megabits a second).
 */
function unitOf(word: string): string | null {
  const unit = UNITS.get(word.toLowerCase())?.unit ?? null;
  if (unit === null || word.length < 2) return unit;
  // "MBps", "kBps": bytes a second.
  if (unit.endsWith("bps") && word[1] === "B") return `${unit[0]}byte/s`;
  // "Mb", "Kb": bits ("kb", "mb" and "kB" are bytes).
  if (unit.length === 2 && unit.endsWith("b") && word[1] === "b" && word[0] !== word[0]!.toLowerCase()) {
    return `${unit[0]}bit`;
  }
  return unit;
}

/** Whether a lower-case word names a unit (for the content rule, which leaves units to this one). */
export const isUnitWord = (word: string) => UNITS.has(word);

export interface Quantities {
  /** Numbers as canonical values with sign and ordinal suffix, sorted ("-3", "1000", "21st"). */
  readonly numbers: string[];
  /** Arithmetic as `operand operator operand` triples, sorted ("3x+5", "5=20"). */
  readonly expressions: string[];
  /** Each number with its unit, sorted ("5km", "30°c", "10%"). */
  readonly measures: string[];
  /** Every unit named, sorted and unique. */
  readonly units: string[];
  /** Code operators and other symbols written apart from the words before them ("==", "<<", "*p", "$?"), sorted. */
  readonly symbols: string[];
}

export function quantitiesOf(tokens: readonly Token[]): Quantities {
  const numbers: string[] = [];
  const expressions: string[] = [];
  const measures: string[] = [];
  const units = new Set<string>();
  const lower = (i: number) => tokens[i]?.text.toLowerCase() ?? "";

  const symbols: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === "symbol" && !(t.glued && tokens[i - 1]?.kind === "symbol")) {
      const symbol = symbolAt(tokens, i);
      if (symbol) symbols.push(symbol);
    }
    const value = t.kind === "number" ? signed(tokens, i) : numberWordAt(tokens, i);
    if (value !== null) {
      numbers.push(value);
      const unit = unitAfter(tokens, i) ?? unitBefore(tokens, i);
      if (unit) {
        measures.push(`${t.kind === "number" ? numberValue(t.text) : value}${unit}`);
        units.add(unit);
      }
    } else if (t.kind === "word") {
      const u = unitOf(t.text);
      // A unit named alone is one too: "days in a year" ≠ "weeks in a year", "feet in a mile" ≠ "yards …".
      if (u) units.add(u);
      // Digits inside words count too: "mp3", "h264", "python3".
      for (const run of digitRuns(t.text)) numbers.push(run);
    } else if (t.text === "°" && tokens[i + 1]?.glued) {
      const scale = lower(i + 1);
      if (scale === "c" || scale === "f") units.add(`°${scale}`);
    }
    const op = operatorAt(tokens, i);
    if (op) expressions.push(`${operand(tokens, i, -1)}${op.symbol}${operand(tokens, i + op.width - 1, 1)}`);
  }
  return {
    numbers: numbers.sort(),
    expressions: expressions.sort(),
    measures: measures.sort(),
    units: [...units].sort(),
    symbols: symbols.sort(),
  };
}

/** Characters that make a run of symbols code: "==", "<<", "&&", "**", "$?", "->". */
const CODE_CHARS = new Set("=<>&|*/%^~$#@\\+".split(""));
/** Characters that are never compared: quotation marks (the same operator quoted or not is one). */
const QUOTES = new Set(["'", '"', "“", "”", "„", "«", "»"]);
/** Punctuation that only ends or splits a sentence: a run of nothing else is prose ("wait ... what", "hmm, ok"). */
const PROSE = new Set([".", ",", ";", ":", "(", ")", "—", "–", "-"]);

/**
 * The run of glued symbols starting at `i`, as written, when it is code rather than punctuation: not glued to the
 * word before it (not "inflation??", "TCP/IP"), or of two or more symbols with a code character ("a!=b"); and not
 * what the other rules read (a binary operator, a sign, `%` after a number, a currency sign, `°`). "?" and "!" count
 * when a word follows ("the ?? operator", "!important"), not at the end of a prompt. A lone "&", "+" or "/" between
 * two words is a connector ("salt & pepper").
 */
function symbolAt(tokens: readonly Token[], i: number): string | null {
  let end = i + 1;
  while (tokens[end]?.kind === "symbol" && tokens[end]!.glued) end++;
  let text = "";
  let code = false;
  let prose = true;
  for (let k = i; k < end; k++) {
    const c = SYMBOL_OPERATORS.get(tokens[k]!.text) ?? tokens[k]!.text;
    if (QUOTES.has(c)) continue;
    text += c;
    if (CODE_CHARS.has(c)) code = true;
    if (!PROSE.has(c)) prose = false;
  }
  if (text === "" || prose) return null;
  const before = tokens[i - 1];
  const after = tokens[end];
  if (tokens[i]!.glued && before?.kind !== "symbol" && !(code && end - i >= 2)) return null;
  if (end - i === 1) {
    if (isBinaryOperatorAt(tokens, i) || isUnaryMinusAt(tokens, i) || text === "°") return null;
    if (text === "%" && before?.kind === "number") return null;
    if (UNITS.has(text) && after?.kind === "number") return null;
    const words = before?.kind === "word" && before.text.length > 1 && after?.kind === "word" && after.text.length > 1;
    if ((text === "&" || text === "+" || text === "/") && words) return null;
  }
  if (!code && (after === undefined || after.kind === "symbol")) return null;
  return text;
}

/** A number token's value, negative when a unary minus is glued before it, with a glued ordinal suffix. */
function signed(tokens: readonly Token[], i: number): string {
  const t = tokens[i]!;
  // "GPT-4": a hyphen glued to a word is part of a name, not a sign.
  let value = (i > 0 && isUnaryMinusAt(tokens, i - 1) ? "-" : "") + numberValue(t.text);
  const next = tokens[i + 1];
  if (next?.glued && next.kind === "word" && ORDINAL_SUFFIXES.has(next.text.toLowerCase()))
    value += next.text.toLowerCase();
  return value;
}

function digitRuns(word: string): string[] {
  const out: string[] = [];
  let start = -1;
  for (let i = 0; i <= word.length; i++) {
    const c = word.charCodeAt(i);
    const digit = c >= 48 && c <= 57;
    if (digit && start < 0) start = i;
    if (!digit && start >= 0) {
      out.push(numberValue(word.slice(start, i)));
      start = -1;
    }
  }
  return out;
}

/** The unit written after the number at `i`: a word ("5 km", "5km"), `%`, or `°` with an optional C/F. */
function unitAfter(tokens: readonly Token[], i: number): string | null {
  let j = i + 1;
  const ordinal = tokens[j]?.glued && ORDINAL_SUFFIXES.has(tokens[j]!.text.toLowerCase());
  if (ordinal) j++;
  const next = tokens[j];
  if (!next) return null;
  const text = next.text.toLowerCase();
  if (text === "%") return "%";
  if (text === "°" || text === "degree" || text === "degrees") {
    const scale = tokens[j + 1]?.text.toLowerCase();
    if (scale === "c" || scale === "celsius" || scale === "centigrade") return "°c";
    if (scale === "f" || scale === "fahrenheit") return "°f";
    return "°";
  }
  if (next.kind !== "word") return null;
  if (text === "per" && tokens[j + 1]?.text.toLowerCase() === "cent") return "%";
  return unitOf(next.text);
}

/** A currency sign written before the number at `i` ("$5", "€ 20"). */
function unitBefore(tokens: readonly Token[], i: number): string | null {
  const prev = tokens[i - 1];
  if (prev?.kind !== "symbol" || prev.text === "%" || prev.text === "°") return null;
  return UNITS.get(prev.text)?.unit ?? null;
}

/** The arithmetic operator at `i` as a canonical symbol, with its width in tokens ("divided by" is 2), or null. */
function operatorAt(tokens: readonly Token[], i: number): { symbol: string; width: number } | null {
  const t = tokens[i]!;
  if (t.kind === "symbol") {
    if (!isBinaryOperatorAt(tokens, i)) return null;
    return { symbol: SYMBOL_OPERATORS.get(t.text) ?? t.text, width: 1 };
  }
  const word = t.text.toLowerCase();
  const symbol = t.kind === "word" ? WORD_OPERATORS.get(word) : undefined;
  if (!symbol) return null;
  const width = word === "divided" || word === "multiplied" ? 2 : 1;
  if (width === 2 && tokens[i + 1]?.text.toLowerCase() !== "by") return null;
  return isBinary(tokens, i, width) ? { symbol, width } : null;
}

function isBinary(tokens: readonly Token[], i: number, width: number): boolean {
  return operand(tokens, i, -1) !== null && operand(tokens, i + width - 1, 1) !== null;
}

/** The operand beside the operator at `i` (side -1: left, 1: right), normalised, or null when there is none. */
function operand(tokens: readonly Token[], i: number, side: -1 | 1): string | null {
  const t = tokens[i + side];
  if (!t) return null;
  const lower = t.text.toLowerCase();
  if (t.kind === "symbol") return (side < 0 ? lower === ")" : lower === "(") ? lower : null;
  if (t.kind === "number") {
    const next = tokens[i + side + 1];
    const variable = side > 0 && next?.glued && next.kind === "word" && next.text.length === 1 ? next.text : "";
    return numberValue(t.text) + variable.toLowerCase();
  }
  if (lower.length === 1) {
    const before = tokens[i + side - 1];
    // "3x": a single letter glued to a number is one operand with it.
    if (side < 0 && t.glued && before?.kind === "number") return numberValue(before.text) + lower;
    return lower;
  }
  return numberWordAt(tokens, i + side);
}
