// What each word is to verification and to the lexical embedder: content, negation, function word or soft
// word — and its canonical form (stem, American spelling, synonym group), so that surface variants compare equal.
import { table } from "./words";

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

/**
 * Synonym groups, canonical word first. Matching is on stems, so inflections follow ("repairing" = "fixing"). Words
 * that name one thing only in some uses are not merged: "smartphone" is not "telephone" (who invented each), nor a
 * "site" a "website" (archaeological sites).
 */
const SYNONYMS: readonly string[] = (
  "car automobile,fix repair,start begin commence,big large,small little tiny,buy purchase," +
  "delete remove erase,create make,show display,use utilize utilise,help assist," +
  "picture image photo photograph,movie film,sofa couch,doctor physician,child kid,speak talk," +
  "method way approach,error mistake,fast quick rapid speedy,faster quicker,fastest quickest,easier simpler," +
  "easiest simplest,improve boost enhance,fine ok okay alright,explain describe define clarify," +
  "answer reply response respond,choose pick select,cheap inexpensive affordable," +
  "smart intelligent clever,hard difficult,easy simple straightforward,end finish,rich wealthy," +
  "house home,close shut,sick ill,phone telephone,tv television," +
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
