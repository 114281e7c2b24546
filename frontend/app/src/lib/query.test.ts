import { describe, expect, it } from 'vitest';
import { chipsOf, isChosen, keyOf, searchOf, toggle, without } from './query';

const url = (query: string) => new URL(`http://app.test/app/?${query}`);

describe('the search in the URL', () => {
	it('maps the URL to GET /search parameters, repeatable ones as lists', () => {
		const query = searchOf(url('q=%20red+car%20&tag=a&tag=b&type=image&sort=oldest&meta.client=acme&view=x&bogus=1').searchParams);
		expect(query).toEqual({ q: 'red car', tag: ['a', 'b'], type: ['image'], sort: 'oldest', 'meta.client': 'acme' });
	});

	it('keys a search by its content, not the order of its parameters', () => {
		expect(keyOf(searchOf(url('tag=a&q=x').searchParams))).toBe(keyOf(searchOf(url('q=x&tag=a').searchParams)));
		expect(keyOf(searchOf(url('tag=a').searchParams))).not.toBe(keyOf(searchOf(url('tag=b').searchParams)));
	});

	it('toggles a facet value on and off, and leaves the viewer', () => {
		const on = toggle(url('q=x&view=1'), 'tag', 'red');
		expect(on.searchParams.getAll('tag')).toEqual(['red']);
		expect(on.searchParams.has('view')).toBe(false);
		const both = toggle(on, 'tag', 'blue');
		expect(both.searchParams.getAll('tag')).toEqual(['red', 'blue']);
		expect(isChosen(both.searchParams, 'tag', 'red')).toBe(true);
		expect(toggle(both, 'tag', 'red').searchParams.getAll('tag')).toEqual(['blue']);
		// A single-valued filter is replaced, not repeated.
		expect(toggle(toggle(url(''), 'camera_make', 'Canon'), 'camera_make', 'Nikon').searchParams.getAll('camera_make')).toEqual(['Nikon']);
	});

	it('makes a year a range of capture dates, shown and removed as one chip', () => {
		const year = toggle(url('q=x'), 'year', 2024);
		expect(year.searchParams.get('taken_after')).toBe('2024-01-01T00:00:00Z');
		expect(year.searchParams.get('taken_before')).toBe('2025-01-01T00:00:00Z');
		expect(isChosen(year.searchParams, 'year', 2024)).toBe(true);
		const chips = chipsOf(year.searchParams);
		expect(chips).toEqual([{ name: 'year', value: '2024', label: 'Year: 2024' }]);
		const gone = without(year, chips[0]);
		expect(gone.searchParams.has('taken_after')).toBe(false);
		expect(gone.searchParams.has('taken_before')).toBe(false);
		expect(gone.searchParams.get('q')).toBe('x');
	});

	it('names collections by their label and shows other filters as chips', () => {
		const chips = chipsOf(url('q=x&collection=c1&tag=a&meta.client=acme&sort=name').searchParams, { c1: 'Summer' });
		expect(chips.map((c) => c.label)).toEqual(['Collection: Summer', 'Tag: a', 'client: acme']);
		expect(without(url('tag=a&tag=b'), chips[1]).searchParams.getAll('tag')).toEqual(['b']);
	});
});
