import { get } from 'svelte/store';
import { describe, expect, it } from 'vitest';
import { createLibrary, type Page } from './library';

/** A fetcher whose answers the test releases by hand, in any order. */
function controlled() {
	const calls: { query: string; cursor: string | null; resolve: (p: Page<string>) => void; reject: (e: Error) => void }[] = [];
	const fetcher = (query: string, cursor: string | null) =>
		new Promise<Page<string>>((resolve, reject) => calls.push({ query, cursor, resolve, reject }));
	return { calls, fetcher };
}

describe('library store', () => {
	it('loads the first page, then the next by cursor', async () => {
		const { calls, fetcher } = controlled();
		const library = createLibrary(fetcher);
		const first = library.search('cat');
		expect(get(library).loading).toBe(true);
		calls[0].resolve({ items: ['a', 'b'], next_cursor: 'c1' });
		await first;
		expect(get(library)).toMatchObject({ query: 'cat', items: ['a', 'b'], cursor: 'c1', done: false, loading: false });
		const second = library.more();
		expect(calls[1]).toMatchObject({ query: 'cat', cursor: 'c1' });
		calls[1].resolve({ items: ['c'], next_cursor: null });
		await second;
		expect(get(library)).toMatchObject({ items: ['a', 'b', 'c'], done: true });
		await library.more();
		expect(calls).toHaveLength(2); // nothing more to ask for
	});

	it('drops an older query answer that arrives after a newer one', async () => {
		const { calls, fetcher } = controlled();
		const library = createLibrary(fetcher);
		const old = library.search('ca');
		const latest = library.search('cat');
		calls[1].resolve({ items: ['cat'], next_cursor: null });
		await latest;
		calls[0].resolve({ items: ['car', 'cab'], next_cursor: 'x' });
		await old;
		expect(get(library)).toMatchObject({ query: 'cat', items: ['cat'], done: true });
	});

	it('asks for one next page at a time', async () => {
		const { calls, fetcher } = controlled();
		const library = createLibrary(fetcher);
		const first = library.search('');
		calls[0].resolve({ items: ['a'], next_cursor: 'n' });
		await first;
		const more = library.more();
		library.more();
		expect(calls).toHaveLength(2);
		calls[1].resolve({ items: ['b'], next_cursor: 'm' });
		await more;
		expect(get(library).items).toEqual(['a', 'b']);
	});

	it('keeps the results and says why when a page fails', async () => {
		const { calls, fetcher } = controlled();
		const library = createLibrary(fetcher);
		const first = library.search('x');
		calls[0].reject(new Error('Search failed (503).'));
		await first;
		expect(get(library)).toMatchObject({ error: 'Search failed (503).', loading: false, items: [] });
		const again = library.search('x'); // the same query is asked again after an error
		calls[1].resolve({ items: ['x1'], next_cursor: null });
		await again;
		expect(get(library)).toMatchObject({ error: null, items: ['x1'] });
	});

	it('does not search again for the query it has', async () => {
		const { calls, fetcher } = controlled();
		const library = createLibrary(fetcher);
		const first = library.search('dog');
		calls[0].resolve({ items: [], next_cursor: null });
		await first;
		await library.search('dog');
		expect(calls).toHaveLength(1);
	});
});

describe('library store patches', () => {
	it('replaces changed items in place and keeps the first answer', async () => {
		const { calls, fetcher } = controlled();
		const library = createLibrary(fetcher);
		const first = library.search('x');
		calls[0].resolve({ items: ['a', 'b', 'c'], next_cursor: 'n' });
		await first;
		library.patch((item) => (item === 'b' ? 'B' : undefined));
		expect(get(library)).toMatchObject({ items: ['a', 'B', 'c'], cursor: 'n', first: { items: ['a', 'b', 'c'] } });
		const next = library.more();
		calls[1].resolve({ items: ['d'], next_cursor: null });
		await next;
		expect(get(library).first?.items).toEqual(['a', 'b', 'c']);
		expect(get(library).items).toEqual(['a', 'B', 'c', 'd']);
	});
});

describe('library store prepends', () => {
	it('puts a new item first once, and not before a search', async () => {
		const { calls, fetcher } = controlled();
		const library = createLibrary(fetcher);
		library.prepend('z', (a, b) => a === b);
		expect(get(library).items).toEqual([]);
		const first = library.search('');
		calls[0].resolve({ items: ['a', 'b'], next_cursor: null });
		await first;
		library.prepend('n', (a, b) => a === b);
		library.prepend('n', (a, b) => a === b);
		expect(get(library).items).toEqual(['n', 'a', 'b']);
	});
});
