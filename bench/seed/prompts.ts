// The benchmark's filler prompts: prompt i is the same in every run, and any two share few content words, so
// that a query near one of them has it as its only candidate above the threshold (the index still scores all).
const TOPICS =
  `soil glacier bridge violin harbor orchard compiler satellite vaccine mortgage volcano lighthouse tapestry
  reactor pottery railway telescope cathedral algae sonnet marathon printer beehive canal diamond forest granite
  hurricane insulin jazz kayak lantern magnet nebula oyster parrot quartz saddle tundra umbrella walnut yogurt
  zeppelin anchor bakery cactus dolphin engine falcon garden`.split(/\s+/);
const ASPECTS =
  `history maintenance chemistry design economics ecology geometry acoustics safety manufacturing symbolism
  insurance transport storage lifespan pricing regulation folklore anatomy navigation erosion lighting packaging
  recycling training`.split(/\s+/);
const SETTINGS = `medieval villages, arctic stations, desert towns, island schools, mountain farms, coastal markets,
  river deltas, university labs, small factories, city parks, rural clinics, naval museums, alpine resorts,
  tropical plantations, northern ports, suburban kitchens`
  .split(",")
  .map((s) => s.trim());

/** Filler prompt i: prompts 0 to 19,999 are all different. */
export function fillerPrompt(i: number): string {
  const topic = TOPICS[i % TOPICS.length]!;
  const aspect = ASPECTS[Math.floor(i / TOPICS.length) % ASPECTS.length]!;
  const setting = SETTINGS[Math.floor(i / (TOPICS.length * ASPECTS.length)) % SETTINGS.length]!;
  return `Describe the ${aspect} of the ${topic} in ${setting}.`;
}
