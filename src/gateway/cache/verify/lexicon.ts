// Word lists of hit verification that the semantic text does not need: question words, the prepositions that
// give a relation its direction, the connectors that make it symmetric, and antonyms.
// Lower-case words as they appear in the semantic text (contractions already expanded).
import { canonicalWord } from "../../text/word-roles";

/** Question words, by the question they ask ("which" asks what "what" asks). */
export const QUESTION_WORDS: ReadonlyMap<string, string> = new Map([
  ["what", "what"],
  ["which", "what"],
  ["who", "who"],
  ["whom", "who"],
  ["whose", "who"],
  ["when", "when"],
  ["where", "where"],
  ["why", "why"],
  ["how", "how"],
]);

/**
 * Personal pronouns, by the person they name; subject and object forms are one ("he" = "him"), possessives
 * another ("his"). Kept in the order of a prompt so that "does he owe her" and "does she owe him" differ.
 */
export const PRONOUNS: ReadonlyMap<string, string> = new Map(
  (
    "i=i me=i myself=i my=my mine=my you=you yourself=you your=your yours=your he=he him=he himself=he his=his " +
    "she=she her=she herself=she hers=she we=we us=we ourselves=we our=our ours=our they=they them=they " +
    "themselves=they their=their theirs=their"
  )
    .split(" ")
    .map((pair) => pair.split("=") as [string, string]),
);

/**
 * Third persons, by the pronoun terms that name them ("his" is "he"): who a prompt is about when it is not the
 * asker or the assistant. "A message for him" ≠ "… for her". "I" and "you" are not content (a prompt may name
 * one and not the other); SPEAKERS compares them.
 */
export const THIRD_PERSONS: ReadonlyMap<string, string> = new Map([
  ["he", "he"],
  ["his", "he"],
  ["she", "she"],
  ["they", "they"],
  ["their", "they"],
]);

/** The first and second persons, by who they name in a conversation: the asker or the one asked. */
export const SPEAKERS: ReadonlyMap<string, "asker" | "asked"> = new Map([
  ["i", "asker"],
  ["my", "asker"],
  ["you", "asked"],
  ["your", "asked"],
]);

/**
 * Prepositions kept in the order of a prompt: the arguments on either side of them must not trade places
 * ("convert Roth to traditional", "flights from Paris to London", "X better than Y", "replace tabs with spaces").
 */
export const MARKERS: ReadonlySet<string> = new Set(
  "to into onto from than of for by in on at over under about against via through across toward towards per with within before after as".split(
    " ",
  ),
);

/** Connectors whose two sides may trade places: "A and B", "A or B", "A vs B", "A & B". */
export const SYMMETRIC: ReadonlySet<string> = new Set(["and", "or", "vs", "versus", "&"]);

/**
 * Opposites. A prompt with one word of a pair, answering a prompt with the other, is rejected whatever the
 * embedder says. Matched on canonical forms, so inflections follow ("increasing", "decreased").
 */
const ANTONYM_PAIRS =
  "increase/decrease increase/reduce raise/lower rise/fall buy/sell fast/slow faster/slower fastest/slowest " +
  "before/after min/max minimum/maximum minimize/maximize minimise/maximise import/export enable/disable " +
  "encrypt/decrypt encode/decode upload/download compress/decompress install/uninstall add/remove add/delete " +
  "push/pull push/pop open/close start/stop begin/end win/lose gain/lose true/false high/low higher/lower " +
  "highest/lowest hot/cold warm/cool best/worst better/worse good/bad more/less more/fewer most/least " +
  "largest/smallest bigger/smaller big/small long/short longer/shorter longest/shortest first/last " +
  "ascending/descending asc/desc positive/negative expand/collapse lock/unlock login/logout accept/reject " +
  "allow/deny allow/block include/exclude left/right east/west north/south above/below inside/outside " +
  "internal/external input/output send/receive serialize/deserialize serialise/deserialise mount/unmount " +
  "connect/disconnect subscribe/unsubscribe follow/unfollow attach/detach merge/split strong/weak heavy/light " +
  "cheap/expensive cheapest/priciest rich/poor young/old new/old early/late earlier/later synchronous/asynchronous " +
  "sync/async public/private global/local static/dynamic mutable/immutable uppercase/lowercase upper/lower " +
  "horizontal/vertical horizontally/vertically forward/backward forwards/backwards profit/loss " +
  "advantage/disadvantage pros/cons benefit/drawback safe/dangerous safe/unsafe legal/illegal healthy/unhealthy " +
  "valid/invalid success/failure succeed/fail pass/fail agree/disagree like/dislike love/hate appear/disappear " +
  "arrive/depart arrival/departure lend/borrow lender/borrower teach/learn show/hide visible/hidden online/offline " +
  "heat/cool freeze/thaw wet/dry light/dark day/night summer/winter male/female man/woman boy/girl " +
  "husband/wife mother/father employer/employee buyer/seller landlord/tenant debit/credit debtor/creditor " +
  "asset/liability bull/bear bullish/bearish deposit/withdraw deposit/withdrawal income/expense " +
  "inflation/deflation appreciate/depreciate upgrade/downgrade overestimate/underestimate majority/minority " +
  "everything/nothing everyone/nobody past/future yesterday/tomorrow top/bottom head/tail prefix/suffix " +
  "leading/trailing odd/even read/write reader/writer client/server sender/receiver parent/child " +
  "import/export inbound/outbound ingress/egress encryption/decryption upstream/downstream overflow/underflow " +
  "underweight/overweight hire/fire hiring/firing attack/defend offense/defense offensive/defensive " +
  "up/down upward/downward upwards/downwards in/out inner/outer on/off under/over to/from into/from " +
  "toward/from towards/from and/or every/some every/any each/some each/any";

const ANTONYMS = new Map<string, Set<string>>();
for (const pair of ANTONYM_PAIRS.split(" ")) {
  const [a, b] = pair.split("/").map(canonicalWord) as [string, string];
  if (!ANTONYMS.has(a)) ANTONYMS.set(a, new Set());
  if (!ANTONYMS.has(b)) ANTONYMS.set(b, new Set());
  ANTONYMS.get(a)!.add(b);
  ANTONYMS.get(b)!.add(a);
}

/** The canonical opposites of a canonical word. */
export function antonymsOf(word: string): ReadonlySet<string> | undefined {
  return ANTONYMS.get(word);
}
