/** Lets microtask-delivered frames (and their replies) flow until nothing is left to run. */
export async function settle(turns = 100): Promise<void> {
  for (let i = 0; i < turns; i += 1) await Promise.resolve();
}
