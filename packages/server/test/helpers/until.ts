/**
 * Resolves once `condition` holds, asking again as soon as each answer comes (each ask is a query or
 * another real wait, never a sleep); fails naming `what` after `ms`.
 *
 * @example
 * await until(async () => (await connectionsOpen()) === 0, 5_000, 'the pool to close its connections');
 */
export async function until(condition: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
  }
}
