// The semantic tier's view of a prompt: surface variants of one question (case, punctuation, contractions,
// politeness) normalise to the same text before it is embedded. Pure functions.
const CONTRACTIONS: [RegExp, string][] = [
  [/\bwhat's\b/g, "what is"],
  [/\bwhere's\b/g, "where is"],
  [/\bwho's\b/g, "who is"],
  [/\bhow's\b/g, "how is"],
  [/\bthat's\b/g, "that is"],
  [/\bit's\b/g, "it is"],
  [/\bcan't\b/g, "cannot"],
  [/\bwon't\b/g, "will not"],
  [/\b(\w+)n't\b/g, "$1 not"],
  [/\b(\w+)'re\b/g, "$1 are"],
  [/\b(\w+)'ve\b/g, "$1 have"],
  [/\b(\w+)'ll\b/g, "$1 will"],
  [/\bi'm\b/g, "i am"],
];

/** Politeness and filler that never changes what is asked. Matched as whole phrases, longest first. */
const FILLER = [
  "i would like to know",
  "i want to know",
  "i'd like to know",
  "can you tell me",
  "could you tell me",
  "would you tell me",
  "please tell me",
  "could you please",
  "can you please",
  "would you please",
  "quick question",
  "could you",
  "can you",
  "would you",
  "tell me",
  "please",
  "kindly",
  "hey there",
  "hello",
  "hey",
  "hi",
  "thanks",
  "thank you",
  "just",
  "um",
  "uh",
];
const FILLER_PATTERN = new RegExp(`\\b(?:${FILLER.join("|")})\\b`, "g");

/**
 * Semantic tier: lower case, contractions expanded, filler removed, punctuation dropped (except inside
 * tokens such as "c++", "c#", "3.5" or "node.js"), white space folded. Surface variants of one question
 * normalise to the same text; numbers, negations and names survive.
 */
export function semanticText(text: string): string {
  let s = text.normalize("NFKC").toLowerCase().replace(/[’‘`]/g, "'");
  for (const [re, to] of CONTRACTIONS) s = s.replace(re, to);
  s = s.replace(FILLER_PATTERN, " ");
  s = s
    .replace(/(\w)([.#+])(?=\w|[#+])/g, "$1$2") // keep in-token punctuation
    .replace(/[^\p{L}\p{N}\s.#+]/gu, " ")
    .replace(/(^|\s)[.#+]+(?=\s|$)/g, " ")
    .replace(/\.+(\s|$)/g, " ");
  return s.replace(/\s+/g, " ").trim();
}
