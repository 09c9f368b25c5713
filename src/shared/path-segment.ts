// A path segment as a route reads it (an id in `/v1/models/{id}`, `/v1/responses/{id}`).

/** A path segment decoded, or as it is when it is not valid percent-encoding. */
export function decodedSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
