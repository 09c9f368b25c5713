// The semantic tier's view of a prompt: surface variants of one question (case, punctuation, contractions,
// common misspellings, politeness) normalise to the same text before it is embedded, and the same word lists
// decide which words hit verification may ignore. Pure functions, each linear in the length of its input: text
// is read by one hand-written scanner, never by a regular expression that can backtrack.
//
// One source of truth: a word that `semanticText` strips (FILLER_PHRASES) never reaches verification, because
// verification reads its words from `semanticView`; a word that stays in the text but may be absent from one of
// two matching prompts (SOFT_WORDS: "briefly", "explain") is listed here too, and the lexical embedder gives the
// same lists a low weight.

export interface Token {
  /** As written (case kept). */
  readonly text: string;
  readonly kind: "word" | "number" | "symbol";
  /** No white space between this token and the one before it. */
  readonly glued: boolean;
  /** First token of the text, of a line, or after `.`, `!`, `?` or `:`. */
  readonly sentenceStart: boolean;
}

const SPACE = 0;
const WORD = 1; // letters, marks, non-ASCII digits, underscore
const DIGIT = 2; // ASCII digits
const OTHER = 3;
const NON_ASCII_SPACE = /\s/u;
const NON_ASCII_WORD = /[\p{L}\p{M}\p{N}]/u;

function classAt(s: string, i: number): number {
  if (i >= s.length) return SPACE;
  const c = s.charCodeAt(i);
  if (c < 128) {
    if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95) return WORD;
    if (c >= 48 && c <= 57) return DIGIT;
    return c === 32 || (c >= 9 && c <= 13) ? SPACE : OTHER;
  }
  const ch = String.fromCodePoint(s.codePointAt(i)!);
  if (NON_ASCII_SPACE.test(ch)) return SPACE;
  return NON_ASCII_WORD.test(ch) ? WORD : OTHER;
}

/** 2 at a surrogate pair (a code point outside the BMP), else 1. */
const widthAt = (s: string, i: number) => {
  const c = s.charCodeAt(i);
  return c >= 0xd800 && c <= 0xdbff && i + 1 < s.length ? 2 : 1;
};
const isWordChar = (cls: number) => cls === WORD || cls === DIGIT;
const isDigitAt = (s: string, i: number) => i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57;

/**
 * Splits text (NFKC-normalised, curly apostrophes made straight) into words, numbers and single-character
 * symbols, in one pass. Words keep in-token `.`, `'` and `_` ("node.js", "don't", "snake_case"), a leading dot
 * (".net") and a trailing `#` or `++` ("c#", "c++"). Numbers keep thousands groups and one decimal part
 * ("1,000", "3.5", ".5"); a hyphen is always a symbol of its own, so "GPT-4" is a word, a glued "-" and a number.
 */
export function tokenize(input: string): Token[] {
  const s = input.normalize("NFKC").replace(/[’‘`´]/g, "'");
  const out: Token[] = [];
  let i = 0;
  let glued = false;
  let boundary = true;
  const push = (start: number, kind: Token["kind"]) => {
    out.push({ text: s.slice(start, i), kind, glued, sentenceStart: boundary });
    glued = true;
  };
  while (i < s.length) {
    const cls = classAt(s, i);
    const c = s[i]!;
    if (cls === SPACE) {
      if (c === "\n" || c === "\r") boundary = true;
      glued = false;
      i += widthAt(s, i);
      continue;
    }
    const start = i;
    const dotWord = c === "." && !glued && classAt(s, i + 1) === WORD;
    if (cls === DIGIT || (c === "." && isDigitAt(s, i + 1) && !(glued && isWordChar(classAt(s, i - 1))))) {
      scanNumber();
      push(start, "number");
      boundary = false;
    } else if (cls === WORD || dotWord) {
      if (dotWord) i++;
      scanWord();
      push(start, "word");
      boundary = false;
    } else {
      i += widthAt(s, i);
      push(start, "symbol");
      if (c === "." || c === "!" || c === "?" || c === ":") boundary = true;
    }
  }
  return out;

  function scanWord(): void {
    for (;;) {
      while (i < s.length && isWordChar(classAt(s, i))) i += widthAt(s, i);
      const c = s[i];
      if ((c === "." || c === "'") && isWordChar(classAt(s, i + 1))) i++;
      else break;
    }
    if (s[i] === "#" && !isWordChar(classAt(s, i + 1))) i++;
    else if (s[i] === "+" && s[i + 1] === "+" && s[i + 2] !== "+" && !isWordChar(classAt(s, i + 2))) i += 2;
  }

  function scanNumber(): void {
    let lead = 0;
    while (isDigitAt(s, i)) {
      i++;
      lead++;
    }
    if (lead > 0 && lead <= 3) {
      // Thousands groups: ",ddd" not followed by another digit ("1,000,000"; "1,5" is two numbers).
      while (s[i] === "," && isDigitAt(s, i + 1) && isDigitAt(s, i + 2) && isDigitAt(s, i + 3) && !isDigitAt(s, i + 4))
        i += 4;
    }
    if (s[i] === "." && isDigitAt(s, i + 1)) {
      i++;
      while (isDigitAt(s, i)) i++;
    }
  }
}

/** The canonical value of a number token: no grouping commas, no leading or trailing zeros ("007" → "7", "3.50" → "3.5", ".5" → "0.5"). */
export function numberValue(token: string): string {
  let intEnd = token.indexOf(".");
  if (intEnd < 0) intEnd = token.length;
  let int = token.slice(0, intEnd).replaceAll(",", "");
  let a = 0;
  while (a < int.length - 1 && int[a] === "0") a++;
  int = int.slice(a) || "0";
  let frac = token.slice(intEnd + 1);
  let b = frac.length;
  while (b > 0 && frac[b - 1] === "0") b--;
  frac = frac.slice(0, b);
  return frac ? `${int}.${frac}` : int;
}

/** Operators of arithmetic, written as symbols, and the words that name them in normalised text. */
export const MATH_OPERATORS: ReadonlyMap<string, string> = new Map(
  Object.entries({
    "+": "plus",
    "-": "minus",
    "−": "minus",
    "*": "times",
    "×": "times",
    "·": "times",
    "/": "over",
    "÷": "over",
    "^": "power",
    "=": "equals",
    "≠": "unequal",
    "<": "below",
    ">": "above",
    "≤": "atmost",
    "≥": "atleast",
    "±": "plusminus",
  }),
);

/** An operand of arithmetic: a number, a single letter ("x"), or a bracket on the operand's side. */
export function isOperand(t: Token | undefined, side: "left" | "right"): boolean {
  if (!t) return false;
  if (t.kind === "number") return true;
  if (t.kind === "word") return t.text.length === 1;
  return t.text === (side === "left" ? ")" : "(");
}

/** Whether the symbol at `i` is a binary arithmetic operator: "3x + 5", "x^2", "a-b"; not "GPT-4" or "x-ray". */
export function isBinaryOperatorAt(tokens: readonly Token[], i: number): boolean {
  const t = tokens[i]!;
  if (t.kind !== "symbol" || !MATH_OPERATORS.has(t.text)) return false;
  return isOperand(tokens[i - 1], "left") && isOperand(tokens[i + 1], "right");
}

/** Whether the symbol at `i` is a minus sign glued to the number after it, with no operand before ("-3", "(-3)"). */
export function isUnaryMinusAt(tokens: readonly Token[], i: number): boolean {
  const t = tokens[i]!;
  if (t.text !== "-" && t.text !== "−") return false;
  const right = tokens[i + 1];
  if (right?.kind !== "number" || !right.glued || isBinaryOperatorAt(tokens, i)) return false;
  const left = tokens[i - 1];
  return !t.glued || (left?.kind === "symbol" && left.text !== ")");
}

export const isMathOperatorAt = (tokens: readonly Token[], i: number): boolean =>
  isBinaryOperatorAt(tokens, i) || isUnaryMinusAt(tokens, i);

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
function table(spec: string): ReadonlyMap<string, string> {
  const out = new Map<string, string>();
  for (const pair of spec.split(" ")) {
    const [from, to] = pair.split("=");
    out.set(from!, to!.replaceAll("_", " "));
  }
  return out;
}

const CONTRACTIONS = table(
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
const RESPELL = table(
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
 * "hey" and "hey there", at the very start of the prompt.
 */
const REQUEST_FILLER =
  "i would like to know,i want to know,i need to know,i was wondering,i am curious,i wonder,do you happen to know," +
  "do you know,can you tell me,could you tell me,would you tell me,please tell me,tell me,could you please," +
  "can you please,would you please,would you mind,could you,can you,would you,will you,help me,give me,show me," +
  "walk me through,is there a way to,is it possible to,please,kindly,just";
const GREETING_FILLER =
  "hi,hey,hey there,hello,thanks,thank you,thanks in advance,sorry,sorry to bother you,quick question,um,uh,hmm";
const OPENING_GREETINGS = new Set(["hi", "hey", "hey there"]);

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
function dropFiller(words: readonly SemanticWord[], tokens: readonly Token[]): SemanticWord[] {
  const out: SemanticWord[] = [];
  const isMark = isClauseMark;
  const firstOfToken = (i: number) => i === 0 || words[i - 1]!.at !== words[i]!.at;
  let chained = false;
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
      i = end;
      chained = true;
    } else {
      out.push(words[i++]!);
      chained = false;
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
    if (start === 0 && OPENING_GREETINGS.has(phrase) && !glued) return true;
    return (clauseStart && markAfter) || (markBefore && markAfter);
  }
}

/** One lower-cased word token as the words it stands for: contractions expanded, misspellings corrected. */
function expandWord(lower: string): string[] {
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
const CURRENCY = table("$=dollars €=euros £=pounds ¥=yen");

/** A word of the semantic text and the index of the token it comes from. */
export interface SemanticWord {
  readonly text: string;
  readonly at: number;
  /** Inside quotation marks: the word is what is asked about ("what does 'kindly' mean"), never filler. */
  readonly quoted: boolean;
}

/** A prompt as the semantic tier reads it: its tokens (case kept) and its semantic words. */
export interface SemanticView {
  readonly tokens: readonly Token[];
  readonly words: readonly SemanticWord[];
}

/**
 * The words of the semantic text: lower case, contractions expanded, misspellings corrected, numbers in canonical
 * form, arithmetic and `%`, `°` and currency signs next to numbers as words, other punctuation dropped, filler
 * removed — each with the token it comes from.
 */
export function semanticView(text: string): SemanticView {
  const tokens = tokenize(text);
  const words: SemanticWord[] = [];
  let quote = false;
  const add = (word: string, at: number) => words.push({ text: word, at, quoted: quote });
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.sentenceStart) quote = false;
    if (isQuoteMark(t)) {
      quote = quote ? !t.glued : opensQuote(tokens, i);
      continue;
    }
    if (t.kind === "word" && isLetterPrefix(tokens, i)) {
      // "e-mail", "x-ray", "t-shirt": a single letter hyphenated to a word is one word.
      add(`${t.text}${tokens[i + 2]!.text}`.toLowerCase(), i);
      i += 2;
    } else if (t.kind === "word") {
      const value = numberWordAt(tokens, i);
      const lower = t.text.toLowerCase();
      if (value !== null) add(value, i);
      else if (lower.includes("'") || CONTRACTIONS.has(lower) || RESPELL.has(lower))
        for (const w of expandWord(lower)) add(w, i);
      else add(lower, i);
    } else if (t.kind === "number") {
      const next = tokens[i + 1];
      const ordinal = next?.glued && next.kind === "word" && ORDINAL_SUFFIXES.has(next.text.toLowerCase());
      add(numberValue(t.text) + (ordinal ? next.text.toLowerCase() : ""), i);
      if (ordinal) i++;
    } else if (isMathOperatorAt(tokens, i)) {
      add(MATH_OPERATORS.get(t.text)!, i);
    } else if (t.text === "%" && tokens[i - 1]?.kind === "number") {
      add("percent", i);
    } else if (t.text === "°") {
      add("degrees", i);
    } else if (CURRENCY.has(t.text) && tokens[i + 1]?.kind === "number") {
      add(CURRENCY.get(t.text)!, i);
    }
  }
  return { tokens, words: dropFiller(words, tokens) };
}

function isLetterPrefix(tokens: readonly Token[], i: number): boolean {
  const hyphen = tokens[i + 1];
  const word = tokens[i + 2];
  return (
    tokens[i]!.text.length === 1 &&
    hyphen?.text === "-" &&
    hyphen.glued &&
    word?.kind === "word" &&
    word.glued &&
    word.text.length > 1
  );
}

const QUOTE_MARKS = new Set(["'", '"', "“", "”", "„", "«", "»"]);
const isQuoteMark = (t: Token) => t.kind === "symbol" && QUOTE_MARKS.has(t.text);

/** A quotation mark opens a quote when it is not glued to a word before it and is glued to the word after it. */
function opensQuote(tokens: readonly Token[], i: number): boolean {
  const before = tokens[i - 1];
  const after = tokens[i + 1];
  const apart = !tokens[i]!.glued || before?.kind === "symbol";
  return apart && after?.glued === true && after.kind !== "symbol";
}

/** The words of `semanticText`, in order. */
export function semanticWords(text: string): string[] {
  return semanticView(text).words.map((w) => w.text);
}

/**
 * Semantic tier: lower case, contractions expanded, filler removed, punctuation dropped (except inside tokens
 * such as "c++", "c#", "3.5" or "node.js"), white space folded. Surface variants of one question normalise to
 * the same text; numbers, signs, negations and names survive.
 */
export function semanticText(text: string): string {
  return semanticWords(text).join(" ");
}

// ── Word roles and canonical forms (shared by verification and the lexical embedder) ──────────────────────────

/**
 * Function words: articles, pronouns, auxiliaries, prepositions, conjunctions and question words. They shape a
 * question but are compared, where they matter, by dedicated rules (direction, question kind), not as content.
 */
export const FUNCTION_WORDS: ReadonlySet<string> = new Set(
  (
    "a an the this that these those some any each every such other another " +
    "i me my mine myself you your yours yourself we us our ours they them their theirs he him his she her hers it its itself " +
    "is are am be been being do does doing done have has having can could would " +
    "of in on at to for from by with about into onto than as over under via per through across toward towards within " +
    "and or but if so then also too either both vs versus " +
    "what which who whom whose when where why how " +
    "there here let one ones thing things anything something someone anyone lot much many"
  ).split(" "),
);

/**
 * Soft words: kept in the text, but never decisive for a hit when one prompt has them and the other does not —
 * style adverbs and the verbs that merely ask ("explain", "describe", "tell"). Canonical forms.
 */
export const SOFT_WORDS: ReadonlySet<string> = new Set(
  (
    "briefly quickly simply concisely clearly basically actually really exactly honestly literally " +
    "explain tell give provide know understand want wonder wondering"
  ).split(" "),
);

/** Negations, each with the kind it counts as: "never" and "cannot" deny as "not" does. */
export const NEGATION_WORDS: ReadonlyMap<string, string> = table(
  "not=not never=not cannot=not no=no none=no nothing=no nobody=no nowhere=no neither=no nor=no " +
    "without=without lacking=without",
);

/** Irregular forms to their base word. */
const IRREGULAR = table(
  "children=child men=man women=woman people=person mice=mouse feet=foot teeth=tooth geese=goose " +
    "wrote=write written=write writing=write bought=buy sold=sell made=make ran=run took=take taken=take " +
    "began=begin begun=begin chose=choose chosen=choose news=news data=data aws=aws ios=ios macos=macos dns=dns https=https gps=gps sms=sms cms=cms " +
    "rss=rss saas=saas paas=paas iaas=iaas apis=api cpus=cpu gpus=gpu vms=vm pdfs=pdf llms=llm sdks=sdk " +
    "vpns=vpn cdns=cdn criteria=criterion " +
    "analyses=analysis indices=index matrices=matrix vertices=vertex embed=embedding were=was leaves=leaf knives=knife lives=life wolves=wolf halves=half shelves=shelf loaves=loaf wives=wife thieves=thief",
);

/** British spellings to American ones; matched on stems too, so "colours" and "coloured" follow. */
const BRITISH = table(
  "colour=color behaviour=behavior favourite=favorite flavour=flavor honour=honor neighbour=neighbor " +
    "labour=labor humour=humor centre=center theatre=theater fibre=fiber analyse=analyze catalogue=catalog " +
    "dialogue=dialog programme=program licence=license defence=defense offence=offense travelling=traveling " +
    "cancelled=canceled modelling=modeling labelled=labeled grey=gray tyre=tire aluminium=aluminum " +
    "judgement=judgment ageing=aging mum=mom maths=math jewellery=jewelry sceptical=skeptical",
);

/** Synonym groups, canonical word first. Matching is on stems, so inflections follow ("repairing" = "fixing"). */
const SYNONYMS: readonly string[] = (
  "car automobile,fix repair,start begin commence,big large,small little tiny,buy purchase," +
  "delete remove erase,create make,show display,use utilize utilise,help assist," +
  "picture image photo photograph,movie film,sofa couch,doctor physician,child kid,speak talk," +
  "method way approach,error mistake,fast quick rapid speedy,faster quicker,fastest quickest,easier simpler," +
  "easiest simplest,improve boost enhance,fine ok okay alright,explain describe define clarify," +
  "answer reply response respond,choose pick select,cheap inexpensive affordable," +
  "smart intelligent clever,hard difficult,easy simple straightforward,end finish,rich wealthy," +
  "house home,close shut,sick ill,phone telephone cellphone smartphone,tv television,website site," +
  "app application,repository repo,documentation docs,configuration config,database db,learn study," +
  "maybe perhaps,job occupation,task chore,kubernetes k8s,javascript js,typescript ts,python py," +
  "postgres postgresql,go golang"
).split(",");

/**
 * Light suffix stripping for plain ASCII words: plurals, -ing, -ed, a final -e, a final consonant + y as "i"
 * ("movies" = "movie" = "movi", "studied" = "study" = "studi"). Not a full stemmer: both sides of every comparison
 * go through it, so it only has to be consistent.
 */
export function stem(word: string): string {
  if (word.length < 3 || !isPlainAscii(word)) return word;
  let s = americanIze(word);
  let verbal = false;
  if (s.length > 4 && (s.endsWith("ies") || s.endsWith("ied"))) s = s.slice(0, -2);
  else if (s.endsWith("sses")) s = s.slice(0, -2);
  else if (s.length > 4 && ["xes", "ches", "shes", "zzes"].some((e) => s.endsWith(e))) s = s.slice(0, -2);
  else if (
    s.length > 3 &&
    s.endsWith("s") &&
    !["ss", "us", "is"].some((e) => s.endsWith(e)) &&
    hasVowel(s.slice(0, -1))
  )
    s = s.slice(0, -1); // not "https", "dns": no vowel before the s, an abbreviation rather than a plural
  else if (s.endsWith("ing") && s.length - 3 >= 2 && hasVowel(s.slice(0, -3))) {
    s = s.slice(0, -3);
    verbal = true;
  } else if (s.endsWith("ed") && !s.endsWith("eed") && s.length - 2 >= 2 && hasVowel(s.slice(0, -2))) {
    s = s.slice(0, -2);
    verbal = true;
  }
  const last = s[s.length - 1]!;
  if (verbal && s.length > 2 && last === s[s.length - 2] && !"lsz".includes(last)) s = s.slice(0, -1);
  if (s.length >= 3 && s.endsWith("e")) s = s.slice(0, -1);
  if (s.length >= 3 && s.endsWith("y") && !"aeiou".includes(s[s.length - 2]!)) s = `${s.slice(0, -1)}i`;
  return s;
}

/** "-ise" spellings as "-ize" ("summarise", "organising", "optimisation"), when a stem of four letters precedes. */
function americanIze(w: string): string {
  const at = w.indexOf("isation");
  if (at >= 4) return `${w.slice(0, at)}ization${w.slice(at + 7)}`;
  for (const ending of ["ise", "ises", "ised", "ising", "iser", "isers"]) {
    if (w.endsWith(ending) && w.length - ending.length >= 4) return `${w.slice(0, -ending.length)}iz${ending.slice(2)}`;
  }
  return w;
}

function isPlainAscii(w: string): boolean {
  for (let i = 0; i < w.length; i++) {
    const c = w.charCodeAt(i);
    if (c < 97 || c > 122) return false;
  }
  return true;
}

function hasVowel(w: string): boolean {
  for (let i = 0; i < w.length; i++) if ("aeiouy".includes(w[i]!)) return true;
  return false;
}

const SYNONYM_OF = new Map<string, string>();
for (const [british, american] of BRITISH) SYNONYM_OF.set(stem(british), stem(american));
for (const group of SYNONYMS) {
  const [head, ...rest] = group.split(" ");
  const canonical = stem(head!);
  for (const w of rest) SYNONYM_OF.set(stem(w), canonical);
}

/** The canonical form of a lower-case word: irregular forms resolved, stemmed, synonyms merged. */
export function canonicalWord(word: string): string {
  const irregular = IRREGULAR.get(word);
  // A word listed as its own base ("news", "data") is not stemmed.
  const base = irregular === word ? word : stem(irregular ?? word);
  const once = SYNONYM_OF.get(base) ?? base;
  return SYNONYM_OF.get(once) ?? once;
}

/**
 * `f` remembered for one prompt (or one pair of prompts): a long or repetitive prompt computes each distinct word
 * once. Local to the caller on purpose: nothing read from one request stays in memory for the next.
 */
export function memoize<T>(f: (word: string) => T): (word: string) => T {
  const seen = new Map<string, T>();
  return (word) => {
    let value = seen.get(word);
    if (value === undefined) {
      value = f(word);
      seen.set(word, value);
    }
    return value;
  };
}

const SOFT_CANONICAL = new Set([...SOFT_WORDS].map(canonicalWord));

/** What a word does in a prompt: carries content, negates, shapes the grammar, or sets the style (soft). */
export function wordRole(word: string): "content" | "negation" | "function" | "soft" {
  if (FUNCTION_WORDS.has(word)) return "function";
  if (NEGATION_WORDS.has(word)) return "negation";
  if (SOFT_WORDS.has(word) || SOFT_CANONICAL.has(canonicalWord(word))) return "soft";
  return "content";
}
