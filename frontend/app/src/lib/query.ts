// The library's search lives in the page's URL (/app/?q=...&tag=...&sort=...): bookmarkable,
// shareable, and back and forward move through searches. The URL's parameters are GET /search's own,
// so this module only picks the ones the app shows and turns them into chips and back.
import type { operations } from '$lib/api/schema';

export type SearchQuery = NonNullable<operations['search']['parameters']['query']>;

/** The facets the side panel asks for, in the order it shows them. */
export const FACETS = ['type', 'tag', 'camera_make', 'camera_model', 'year', 'collection'] as const;

/** Facet name -> the URL parameter its values filter by (`year` filters by the capture dates). */
const REPEATABLE = new Set(['type', 'tag', 'exclude_tag']);
const SINGLE = ['content_type', 'collection', 'camera_make', 'camera_model', 'taken_after', 'taken_before',
	'created_after', 'created_before', 'filename', 'status', 'sort'] as const;
const META = /^meta\.[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

export const SORTS = [
	['relevance', 'Best match'],
	['newest', 'Newest'],
	['oldest', 'Oldest'],
	['taken', 'Date taken'],
	['name', 'Name']
] as const;

/** What the URL asks GET /search for (without paging and facets). */
export function searchOf(params: URLSearchParams): SearchQuery & Record<string, unknown> {
	const query: Record<string, unknown> = {};
	const q = params.get('q')?.trim();
	if (q) query.q = q;
	for (const name of REPEATABLE) {
		const values = params.getAll(name).filter(Boolean);
		if (values.length) query[name] = values;
	}
	for (const name of SINGLE) {
		const value = params.get(name);
		if (value) query[name] = value;
	}
	for (const [name, value] of params) if (META.test(name) && value) query[name] = value;
	return query as SearchQuery;
}

/** A stable text of the search (a new one starts the results over). */
export function keyOf(query: Record<string, unknown>): string {
	return JSON.stringify(Object.keys(query).sort().map((k) => [k, query[k]]));
}

/** One active filter as a removable chip. */
export interface Chip {
	name: string;
	value: string;
	label: string;
}

const LABELS: Record<string, string> = {
	type: 'Type',
	tag: 'Tag',
	exclude_tag: 'Not tagged',
	content_type: 'Format',
	collection: 'Collection',
	camera_make: 'Make',
	camera_model: 'Camera',
	taken_after: 'Taken from',
	taken_before: 'Taken before',
	created_after: 'Added from',
	created_before: 'Added before',
	filename: 'File name'
};

/** The year a pair of capture-date bounds spans exactly, if it does. */
function yearOf(params: URLSearchParams): string | null {
	const after = params.get('taken_after') ?? '';
	const match = /^(\d{4})-01-01T00:00:00Z$/.exec(after);
	if (!match) return null;
	return params.get('taken_before') === `${Number(match[1]) + 1}-01-01T00:00:00Z` ? match[1] : null;
}

/** The active filters (everything but the words and the order); a year's range is one chip. */
export function chipsOf(params: URLSearchParams, names: Record<string, string> = {}): Chip[] {
	const chips: Chip[] = [];
	const year = yearOf(params);
	if (year) chips.push({ name: 'year', value: year, label: `Year: ${year}` });
	for (const [name, value] of params) {
		if (!value || !(name in LABELS || META.test(name))) continue;
		if (year && (name === 'taken_after' || name === 'taken_before')) continue;
		let shown = name === 'collection' ? (names[value] ?? 'a collection') : value;
		if (name.endsWith('_after') || name.endsWith('_before')) shown = value.slice(0, 10);
		chips.push({ name, value, label: `${LABELS[name] ?? name.slice(5)}: ${shown}` });
	}
	return chips;
}

/** A facet value's filter: what to set in the URL when it is chosen. `year` becomes a range of
 * capture dates. */
export function filterOf(facet: string, value: string | number | boolean): [string, string][] {
	if (facet === 'year') {
		const year = Number(value);
		return [
			['taken_after', `${year}-01-01T00:00:00Z`],
			['taken_before', `${year + 1}-01-01T00:00:00Z`]
		];
	}
	return [[facet, String(value)]];
}

/** Is this facet value chosen in the URL? */
export function isChosen(params: URLSearchParams, facet: string, value: string | number | boolean): boolean {
	return filterOf(facet, value).every(([name, v]) => params.getAll(name).includes(v));
}

/** The URL with a facet value chosen (added) or, when it is chosen already, removed. */
export function toggle(url: URL, facet: string, value: string | number | boolean): URL {
	const next = new URL(url);
	next.searchParams.delete('view');
	const chosen = isChosen(url.searchParams, facet, value);
	for (const [name, v] of filterOf(facet, value)) {
		if (chosen) next.searchParams.delete(name, v);
		else if (REPEATABLE.has(name)) next.searchParams.append(name, v);
		else next.searchParams.set(name, v);
	}
	return next;
}

/** The URL without one chip's filter (a year's range goes as one). */
export function without(url: URL, chip: Chip): URL {
	const next = new URL(url);
	next.searchParams.delete('view');
	const pairs = chip.name === 'year' ? filterOf('year', chip.value) : [[chip.name, chip.value]];
	for (const [name, value] of pairs) next.searchParams.delete(name, value);
	return next;
}
