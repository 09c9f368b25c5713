// Code in a prompt, told apart from prose by Markdown's own rules: fenced blocks (``` or ~~~, closed by a fence
// of the same character at least as long, or by the end of the text) and indented blocks (lines indented by
// four spaces or a tab that start after a blank line, as an indented code block cannot interrupt a paragraph).
// Code keeps every character: two snippets that differ only in indentation are different questions. Scanning
// is line by line with anchored, bounded patterns, so it runs in linear time on any input.

export interface Segment {
  readonly code: boolean;
  /** The segment's lines joined by "\n", exactly as sent (line endings normalised to "\n"). */
  readonly text: string;
}

const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})/;

function isIndented(line: string): boolean {
  return line.startsWith("    ") || line.startsWith("\t");
}

const isBlank = (line: string) => line.trim() === "";

/** The prompt as alternating prose and code segments, in order. */
export function segments(text: string): Segment[] {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  const out: Segment[] = [];
  let prose: string[] = [];
  const flushProse = () => {
    if (prose.length) out.push({ code: false, text: prose.join("\n") });
    prose = [];
  };
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    const fence = FENCE_OPEN.exec(line);
    if (fence) {
      const marker = fence[1]!;
      let end = i + 1;
      while (end < lines.length && !closesFence(lines[end]!, marker)) end++;
      flushProse();
      out.push({ code: true, text: lines.slice(i, Math.min(end + 1, lines.length)).join("\n") });
      i = end + 1;
      continue;
    }
    const startsBlock = isIndented(line) && !isBlank(line) && (i === 0 || isBlank(lines[i - 1]!));
    if (startsBlock) {
      let end = i + 1;
      // Blank lines belong to the block only when more indented code follows them.
      for (let j = end; j < lines.length; j++) {
        const l = lines[j]!;
        if (isIndented(l) && !isBlank(l)) end = j + 1;
        else if (!isBlank(l)) break;
      }
      flushProse();
      out.push({ code: true, text: lines.slice(i, end).join("\n") });
      i = end;
      continue;
    }
    prose.push(line);
    i++;
  }
  flushProse();
  return out;
}

function closesFence(line: string, marker: string): boolean {
  const trimmed = line.trim();
  if (trimmed.length < marker.length || line.length - line.trimStart().length > 3) return false;
  for (const c of trimmed) if (c !== marker[0]) return false;
  return true;
}
