// Noting where and when keys are used, without a storage write per request: an isolate reports a key's use to
// its tenant's object at most once per REPORT_EVERY_MS, and at once when it sees the key from a place (country
// and network, from request.cf) it has not reported before. The object keeps `last_used_at` (to about a
// minute) and says when a place is new for the key: that raises an audit alert.

export const REPORT_EVERY_MS = 60_000;
const MAX_KEYS = 10_000;

export class KeyUsage {
  private readonly reported = new Map<string, { at: number; places: Set<string> }>();

  /** Whether this use should be reported now (and remembers that it will be). */
  shouldReport(keyId: string, place: string | null, now: number): boolean {
    const seen = this.reported.get(keyId);
    if (!seen) {
      if (this.reported.size >= MAX_KEYS) this.reported.delete(this.reported.keys().next().value!);
      this.reported.set(keyId, { at: now, places: new Set(place ? [place] : []) });
      return true;
    }
    const newPlace = place !== null && !seen.places.has(place);
    if (newPlace) seen.places.add(place);
    if (newPlace || now - seen.at >= REPORT_EVERY_MS) {
      seen.at = now;
      return true;
    }
    return false;
  }
}
