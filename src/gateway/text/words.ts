// Word tables of the semantic text: numbers written as words, contractions, chat abbreviations and misspellings,
// politeness and greeting filler (and where it may be dropped), currency signs. Compact tables are Maps, so no
// word can reach Object.prototype.
import type { Token } from "./tokens";

/** A word of the semantic text and the index of the token it comes from. */
export interface SemanticWord {
  readonly text: string;
  readonly at: number;
  /** Inside quotation marks: the word is what is asked about ("what does 'kindly' mean"), never filler. */
  readonly quoted: boolean;
  /**
   * Follows "can you", "could you", "would you" or "will you" removed as filler: the clause may ask yes or no ("can
   * you buy Sudafed over the counter?") as well as make a request ("can you explain recursion?").
   */
  readonly afterAsk?: true;
}

/** Numbers written as words, to their values; ordinals keep their suffix ("second" → "2nd"). */
const NUMBER_WORDS = table(
  "zero=0 one=1 two=2 three=3 four=4 five=5 six=6 seven=7 eight=8 nine=9 ten=10 eleven=11 twelve=12 " +
    "thirteen=13 fourteen=14 fifteen=15 sixteen=16 seventeen=17 eighteen=18 nineteen=19 twenty=20 thirty=30 " +
    "forty=40 fifty=50 sixty=60 seventy=70 eighty=80 ninety=90 hundred=100 thousand=1000 million=1000000 " +
    "billion=1000000000 dozen=12 first=1st second=2nd third=3rd fourth=4th fifth=5th sixth=6th seventh=7th " +
    "eighth=8th ninth=9th tenth=10th",
);

/** "one" after these is a pronoun ("which one", "this one"), not a count. */
const PRONOUN_ONE = new Set("which this that the each any every no some another".split(" "));

/**
 * The value of the number word at token `i` ("three" → "3", "first" → "1st"), or null: not a number word, "one"
 * as a pronoun, or "second" as a unit after a number ("30 second timeout").
 */
export function numberWordAt(tokens: readonly Token[], i: number): string | null {
  const t = tokens[i];
  if (t?.kind !== "word") return null;
  const w = t.text.toLowerCase();
  const value = NUMBER_WORDS.get(w);
  if (value === undefined) return null;
  const before = tokens[i - 1];
  if (w === "one" && PRONOUN_ONE.has(before?.text.toLowerCase() ?? "")) return null;
  if (w === "second" && before?.kind === "number") return null;
  return value;
}

// ── Words ────────────────────────────────────────────────────────────────────────────────────────────────────

/** "a=b c=d_e" → a → "b", c → "d e": compact word tables (Maps, so that no word reaches Object.prototype). */
export function table(spec: string): ReadonlyMap<string, string> {
  const out = new Map<string, string>();
  for (const pair of spec.split(" ")) {
    const [from, to] = pair.split("=");
    out.set(from!, to!.replaceAll("_", " "));
  }
  return out;
}

export const CONTRACTIONS = table(
  "can't=cannot cant=cannot won't=will_not shan't=shall_not ain't=is_not aint=is_not let's=let_us " +
    "i'm=i_am im=i_am ive=i_have youre=you_are theyre=they_are whats=what_is thats=that_is hows=how_is " +
    "wheres=where_is whos=who_is dont=do_not doesnt=does_not didnt=did_not isnt=is_not arent=are_not " +
    "wasnt=was_not werent=were_not havent=have_not hasnt=has_not hadnt=had_not couldnt=could_not " +
    "shouldnt=should_not wouldnt=would_not mustnt=must_not",
);

/** `'d` after these is "did" ("why'd"), not "would". */
const QUESTION_HEADS = new Set("what where who how when why".split(" "));

/** `'s` after these is "is", not a possessive. */
const IS_BEFORE_S = new Set("what where who how when why that it there here he she".split(" "));

/** Chat abbreviations and frequent misspellings, to the word meant. */
export const RESPELL = table(
  "u=you ur=your pls=please plz=please thx=thanks wat=what waht=what hwo=how teh=the wich=which " +
    "becuase=because recieve=receive seperate=separate definately=definitely occured=occurred " +
    "occurence=occurrence untill=until adress=address enviroment=environment goverment=government " +
    "begining=beginning tommorow=tomorrow tomorow=tomorrow accomodate=accommodate wierd=weird " +
    "arguement=argument existance=existence independant=independent succesful=successful " +
    "successfull=successful threshhold=threshold truely=truly paramter=parameter fucntion=function " +
    "funtion=function lenght=length retrun=return pyhton=python javscript=javascript algoritm=algorithm " +
    "algorithim=algorithm databse=database excercise=exercise grammer=grammar recomend=recommend " +
    "reccomend=recommend neccessary=necessary necesary=necessary acheive=achieve beleive=believe " +
    "freind=friend thier=their alot=a_lot dosent=does_not shoud=should diffrence=difference " +
    "differnce=difference exmaple=example calculater=calculator",
);

/**
 * Politeness and filler that never changes what is asked, in expanded form, matched as whole phrases (longest
 * first) and only where they frame the question, never where they are its subject ("how to say thank you"):
 * requests ("could you please", "tell me") at the start of a clause; greetings and thanks ("hi", "thanks") at the
 * start or end of a clause only when a punctuation mark sets them off ("Hi! …", "…, thanks") — or, for "hi",
 * "hey" and "hey there", at the very start of the prompt, unless a capitalised word follows without punctuation (a
 * title: "Hey Jude chords").
 */
const REQUEST_FILLER =
  "i would like to know,i want to know,i need to know,i was wondering,i am curious,i wonder,do you happen to know," +
  "do you know,can you tell me,could you tell me,would you tell me,please tell me,tell me,could you please," +
  "can you please,would you please,would you mind,could you,can you,would you,will you,help me,give me,show me," +
  "walk me through,is there a way to,is it possible to,please,kindly,just";
const GREETING_FILLER =
  "hi,hey,hey there,hello,thanks,thank you,thanks in advance,sorry,sorry to bother you,quick question,um,uh,hmm";
const OPENING_GREETINGS = new Set(["hi", "hey", "hey there"]);
/** Filler that may open a yes/no question as well as a request. */
const ASKING = new Set([
  "can you",
  "could you",
  "would you",
  "will you",
  "can you please",
  "could you please",
  "would you please",
  // Asks whether, where "is there a way to" asks how (and stays a request).
  "is it possible to",
]);

export const FILLER_PHRASES: readonly string[] = [...REQUEST_FILLER.split(","), ...GREETING_FILLER.split(",")];

type Trie = Map<string, Trie> & { phrase?: string };
const FILLER_TRIE: Trie = new Map();
for (const phrase of FILLER_PHRASES) {
  let node = FILLER_TRIE;
  for (const w of phrase.split(" ")) {
    const next: Trie = node.get(w) ?? new Map();
    node.set(w, next);
    node = next;
  }
  node.phrase = phrase;
}
const GREETINGS = new Set(GREETING_FILLER.split(","));

/** Punctuation that ends a clause: filler stands at a clause's edge when one of these is beside it. */
const CLAUSE_MARKS = new Set([",", ";", ":", "!", "?", ".", "…", "(", ")", "—", "–"]);

/** Whether a token is punctuation that ends a clause. */
export const isClauseMark = (t: Token | undefined): boolean => t?.kind === "symbol" && CLAUSE_MARKS.has(t.text);

/**
 * Removes filler phrases where they frame the question (see FILLER_PHRASES). A phrase removed at the start of a
 * clause lets the next one start there too ("Hi, could you please tell me …"). At most five steps per word.
 */
export function dropFiller(words: readonly SemanticWord[], tokens: readonly Token[]): SemanticWord[] {
  const out: SemanticWord[] = [];
  const isMark = isClauseMark;
  const firstOfToken = (i: number) => i === 0 || words[i - 1]!.at !== words[i]!.at;
  let chained = false;
  let asked = false;
  for (let i = 0; i < words.length; ) {
    let node = FILLER_TRIE.get(words[i]!.text);
    let j = i + 1;
    let phrase = node?.phrase;
    let end = phrase ? j : 0;
    while (node && j < words.length) {
      node = node.get(words[j]!.text);
      j++;
      if (node?.phrase) {
        phrase = node.phrase;
        end = j;
      }
    }
    if (phrase && !words[i]!.quoted && isFraming(phrase, i, end)) {
      asked = ASKING.has(phrase) || (asked && phrase === "please");
      i = end;
      chained = true;
    } else {
      out.push(asked ? { ...words[i++]!, afterAsk: true } : words[i++]!);
      chained = false;
      asked = false;
    }
  }
  return out;

  function isFraming(phrase: string, start: number, end: number): boolean {
    const first = tokens[words[start]!.at]!;
    const clauseStart = firstOfToken(start) && (first.sentenceStart || isMark(tokens[words[start]!.at - 1]) || chained);
    const lastToken = words[end - 1]!.at;
    const wholeTokens = end === words.length || words[end]!.at !== lastToken;
    const markAfter = wholeTokens && (lastToken + 1 >= tokens.length || isMark(tokens[lastToken + 1]));
    const markBefore = firstOfToken(start) && isMark(tokens[words[start]!.at - 1]);
    if (!GREETINGS.has(phrase)) return clauseStart || (markBefore && markAfter);
    const glued = tokens[lastToken + 1]?.glued && !isMark(tokens[lastToken + 1]); // "hi-hat"
    // Not the start of a title: "Hey Jude chords", "Hey There Delilah lyrics" (a capital word right after it).
    const next = tokens[lastToken + 1];
    const titled = next?.kind === "word" && next.text[0] !== next.text[0]!.toLowerCase();
    if (start === 0 && OPENING_GREETINGS.has(phrase) && !glued && !titled) return true;
    return (clauseStart && markAfter) || (markBefore && markAfter);
  }
}

/** One lower-cased word token as the words it stands for: contractions expanded, misspellings corrected. */
export function expandWord(lower: string): string[] {
  const direct = CONTRACTIONS.get(lower) ?? RESPELL.get(lower);
  if (direct) return direct.split(" ");
  const apostrophe = lower.indexOf("'");
  if (apostrophe < 0) return [lower];
  const tail = lower.slice(apostrophe);
  const head = lower.slice(0, apostrophe);
  if (tail === "'s") return IS_BEFORE_S.has(head) ? [head, "is"] : [head];
  if (tail === "'re") return [head, "are"];
  if (tail === "'ve") return [head, "have"];
  if (tail === "'ll") return [head, "will"];
  if (tail === "'d") return [head, QUESTION_HEADS.has(head) ? "did" : "would"];
  if (tail === "'m") return [head, "am"];
  if (tail === "'t" && head.endsWith("n")) return [head.slice(0, -1), "not"];
  return [lower.replaceAll("'", "")];
}

export const ORDINAL_SUFFIXES: ReadonlySet<string> = new Set(["st", "nd", "rd", "th"]);
export const CURRENCY = table("$=dollars €=euros £=pounds ¥=yen");
