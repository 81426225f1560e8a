/**
 * A page of results in Twilio's shape, for code ported from Twilio's SDK (STORE-4). Prefer the
 * observables (`conversations$`, `messages$`) in new code: they never go stale.
 *
 * @example
 * let page = await client.getSubscribedConversations();
 * const all = [...page.items];
 * while (page.hasNextPage) {
 *   page = await page.nextPage();
 *   all.push(...page.items);
 * }
 */
export interface Paginator<T> {
  readonly items: readonly T[];
  readonly hasNextPage: boolean;
  readonly hasPrevPage: boolean;
  /** The next page; rejects with `invalid_argument` when there is none. */
  nextPage(): Promise<Paginator<T>>;
  /** The previous page; rejects with `invalid_argument` when there is none. */
  prevPage(): Promise<Paginator<T>>;
}
