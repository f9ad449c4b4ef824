// The Broker API's lists come a page at a time; a reader wants their items. One async iterator per
// list (as alpaca-py's paginated calls), so that no flow writes its own page loop.

/** One page of a list: its items, and the cursor of the next page (none after the last). */
export interface Page<T, Cursor> {
  items: T[];
  next: Cursor | undefined;
}

/**
 * Every item of a paged list, in the list's order: the page at `first`, then each page the one
 * before names, until one names none or `maxPages` pages are read. A page is asked for only once the
 * reader has taken the one before: a reader that stops (a `for await` that returns) asks for no more.
 */
export async function* pages<T, Cursor>(first: Cursor, read: (cursor: Cursor) => Promise<Page<T, Cursor>>, maxPages = Infinity): AsyncGenerator<T, void, undefined> {
  let cursor: Cursor | undefined = first;
  for (let count = 0; cursor !== undefined && count < maxPages; count++) {
    const page: Page<T, Cursor> = await read(cursor);
    yield* page.items;
    cursor = page.next;
  }
}

/** The first item `matches` takes, reading no page past it; undefined when none does. */
export async function findIn<T>(items: AsyncIterable<T>, matches: (item: T) => boolean): Promise<T | undefined> {
  for await (const item of items) if (matches(item)) return item;
  return undefined;
}
