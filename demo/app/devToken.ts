/**
 * Asks the demo server's DEVELOPMENT-ONLY endpoint for a token for `identity`. A real app gets its
 * token from its own backend, after signing the user in.
 */
export async function fetchDevToken(identity: string): Promise<string> {
  const response = await fetch('/dev/token', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ identity }),
  });
  const body = (await response.json().catch(() => ({}))) as { token?: string; code?: string; message?: string };
  if (!response.ok || typeof body.token !== 'string') {
    throw new Error(body.message ?? body.code ?? `POST /dev/token: HTTP ${response.status}`);
  }
  return body.token;
}
