// What a log line may say about a caught error. Logs leave Cordon (`wrangler tail`, Logpush), so a line must
// never carry a prompt or an answer, and an error's message can quote the data that caused it: V8 writes a
// JSON.parse failure with the text around the fault (`Unexpected token 'm', "my diagnos"... is not valid JSON`).
// So a SyntaxError is named without its message, any other error's message is cut short, and a thrown value that
// is not an Error is not shown at all.

const MAX_CHARS = 300;

export function logText(err: unknown): string {
  if (err instanceof SyntaxError) return "SyntaxError (message withheld: it may quote the text it could not parse)";
  if (!(err instanceof Error)) return `a thrown ${err === null ? "null" : typeof err} (withheld)`;
  const text = `${err.name}: ${err.message}`;
  return text.length > MAX_CHARS ? `${text.slice(0, MAX_CHARS)}…` : text;
}
