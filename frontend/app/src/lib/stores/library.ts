// The library's results for the current query: the first page on a new query, the next page by
// cursor as the person scrolls. An answer to an older query never lands on a newer one.
import { writable, type Readable } from 'svelte/store';

export interface Page<T> {
	items: T[];
	next_cursor: string | null;
}

/** Fetch one page of results for `query` (after `cursor`); `signal` aborts it. */
export type Fetcher<T, P extends Page<T> = Page<T>> = (
	query: string,
	cursor: string | null,
	signal: AbortSignal
) => Promise<P>;

export interface LibraryState<T, P extends Page<T> = Page<T>> {
	query: string | null;
	/** The first page's whole answer (a search's facets and total). */
	first: P | null;
	items: T[];
	cursor: string | null;
	done: boolean;
	loading: boolean;
	error: string | null;
}

export interface Library<T, P extends Page<T> = Page<T>> extends Readable<LibraryState<T, P>> {
	/** Start over with `query` (nothing happens when it is the current one). */
	search(query: string): Promise<void>;
	/** Append the next page, unless one is loading or there is none. */
	more(): Promise<void>;
	/** Replace the loaded items that `change` returns a new value for (an edit, a status change),
	 * in place: the list keeps its order, length and position. */
	patch(change: (item: T) => T | undefined): void;
	/** Put an item first (a new asset of a newest-first list), unless `same` finds it loaded. */
	prepend(item: T, same: (a: T, b: T) => boolean): void;
}

export function createLibrary<T, P extends Page<T> = Page<T>>(fetchPage: Fetcher<T, P>): Library<T, P> {
	const initial: LibraryState<T, P> = {
		query: null,
		first: null,
		items: [],
		cursor: null,
		done: false,
		loading: false,
		error: null
	};
	const store = writable(initial);
	let state = initial;
	let controller: AbortController | null = null;
	const set = (next: LibraryState<T, P>) => store.set((state = next));

	async function load(query: string, cursor: string | null): Promise<void> {
		controller?.abort();
		const mine = (controller = new AbortController());
		set({ ...state, loading: true, error: null });
		try {
			const page = await fetchPage(query, cursor, mine.signal);
			if (mine !== controller) return; // a newer request took over
			const items = cursor ? [...state.items, ...page.items] : page.items;
			const first = cursor ? state.first : page;
			set({ query, first, items, cursor: page.next_cursor, done: page.next_cursor === null, loading: false, error: null });
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
		},
		patch(change) {
			let changed = false;
			const items = state.items.map((item) => {
				const next = change(item);
				if (next === undefined) return item;
				changed = true;
				return next;
			});
			if (changed) set({ ...state, items });
		},
		prepend(item, same) {
			if (state.query === null || state.items.some((i) => same(i, item))) return;
			set({ ...state, items: [item, ...state.items] });
		}
	};
}
