// The library's first page, asked for as soon as the session is known (the page's `load`), while the
// page's code loads and renders: the library takes it instead of asking again.
import { api, messageOf, type Results } from '$lib/api/client';

const pending = new Map<string, { at: number; page: Promise<Results> }>();
const FRESH = 5000; // ms: an older prefetch (of a search left before it was shown) is not used

/** Page size of the library's pages. */
export const PAGE = 100;

/** The first page of a search, without facets (they are counted by a request of their own). */
export async function firstPage(query: Record<string, unknown>, signal?: AbortSignal): Promise<Results> {
	const { data, error, response } = await api.GET('/search', { params: { query: { ...query, limit: PAGE } }, signal });
	if (!data) throw new Error(messageOf(error, `Search failed (${response.status}).`));
	return data;
}

export function prefetch(key: string, query: Record<string, unknown>): void {
	const early = firstPage(query);
	early.catch(() => {}); // whoever takes it sees the failure
	pending.set(key, { at: Date.now(), page: early });
}

/** The prefetched first page of this search, once. */
export function take(key: string): Promise<Results> | undefined {
	const early = pending.get(key);
	pending.delete(key);
	return early && Date.now() - early.at < FRESH ? early.page : undefined;
}
