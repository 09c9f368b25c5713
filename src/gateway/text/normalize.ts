// Unicode normalisation in time linear in the text. Normalising sorts each run of combining marks into canonical
// order, and the runtime's sort (ICU's) is quadratic in the run's length: 60,000 marks after one letter take
// 1.6 s, a megabyte of them minutes of CPU. No writing system needs more than 30 marks in a row (UAX #15 §13,
// the Stream-Safe Text Format), so a text holding a longer run is left as written: what is compared is then the
// text itself, which can only miss a match between two spellings of it, never make two different texts one.

/** More combining marks in a row than any text needs. Every character that normalisation reorders is a mark. */
const LONG_MARK_RUN = /\p{M}{31}/u;

/** `text.normalize(form)`, or `text` unchanged when it holds a run of more than 30 combining marks. */
export function normalizeBounded(text: string, form: "NFC" | "NFKC"): string {
  return LONG_MARK_RUN.test(text) ? text : text.normalize(form);
}
