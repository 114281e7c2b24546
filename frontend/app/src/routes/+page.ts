import { prefetch } from '$lib/prefetch';
import { keyOf, searchOf } from '$lib/query';
import { known } from '$lib/stores/session';

let previous: string | null = null;

// The library's first page is asked for as soon as the session is known, not once the page has
// rendered; again only when the search changes (not when the viewer opens or moves).
export async function load({ url }: { url: URL }): Promise<void> {
	if ((await known()).state !== 'signed-in') return;
	const query = searchOf(url.searchParams);
	const key = keyOf(query);
	if (key === previous) return;
	previous = key;
	prefetch(key, query);
}
