/**
 * A JSON HTTP response: the platform `Response` where there is one, else a small look-alike with
 * `ok`, `status`, `headers.get`, `json()` and `text()` (jsdom has no `Response`).
 */
export function respond(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  const all: Record<string, string> = { 'content-type': 'application/json', ...headers };
  const text = JSON.stringify(body);
  if (typeof Response === 'function') return new Response(text, { status, headers: all });
  return {
    ok: status >= 200 && status < 300,
    status,
    statusText: '',
    headers: { get: (name: string) => all[name.toLowerCase()] ?? null, has: (name: string) => name.toLowerCase() in all },
    json: () => Promise.resolve(JSON.parse(text) as unknown),
    text: () => Promise.resolve(text),
  } as unknown as Response;
}
