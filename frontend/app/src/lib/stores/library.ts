// The library's results for the current query: the first page on a new query, the next page by
// cursor as the person scrolls. An answer to an older query never lands on a newer one.
import { writable, type Readable } from 'svelte/store';

export interface Page<T> {
	items: T[];
	next_cursor: string | null;
}

/** Fetch one page of results for `query` (after `cursor`); `signal` aborts it. */
export type Fetcher<T> = (query: string, cursor: string | null, signal: AbortSignal) => Promise<Page<T>>;

export interface LibraryState<T> {
	query: string | null;
	items: T[];
	cursor: string | null;
	done: boolean;
	loading: boolean;
	error: string | null;
}

export interface Library<T> extends Readable<LibraryState<T>> {
	/** Start over with `query` (nothing happens when it is the current one). */
	search(query: string): Promise<void>;
	/** Append the next page, unless one is loading or there is none. */
	more(): Promise<void>;
}

export function createLibrary<T>(fetchPage: Fetcher<T>): Library<T> {
	const initial: LibraryState<T> = { query: null, items: [], cursor: null, done: false, loading: false, error: null };
	const store = writable(initial);
	let state = initial;
	let controller: AbortController | null = null;
	const set = (next: LibraryState<T>) => store.set((state = next));

	async function load(query: string, cursor: string | null): Promise<void> {
		controller?.abort();
		const mine = (controller = new AbortController());
		set({ ...state, loading: true, error: null });
		try {
			const page = await fetchPage(query, cursor, mine.signal);
			if (mine !== controller) return; // a newer request took over
			const items = cursor ? [...state.items, ...page.items] : page.items;
			set({ query, items, cursor: page.next_cursor, done: page.next_cursor === null, loading: false, error: null });
		} catch (error) {
			if (mine !== controller) return;
			set({ ...state, loading: false, error: error instanceof Error ? error.message : String(error) });
		}
	}

	return {
		subscribe: store.subscribe,
		search(query) {
			if (query === state.query && !state.error) return Promise.resolve();
			set({ ...initial, query, loading: true });
			return load(query, null);
		},
		more() {
			if (state.loading || state.done || state.query === null || state.error) return Promise.resolve();
			return load(state.query, state.cursor);
		}
	};
}
