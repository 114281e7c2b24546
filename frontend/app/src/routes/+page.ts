import { prefetch } from '$lib/prefetch';
import { keyOf, searchOf } from '$lib/query';
import { known } from '$lib/stores/session';

// The library's first page is asked for as soon as the session is known, not once the page has
// rendered.
export async function load({ url }: { url: URL }): Promise<void> {
	if ((await known()).state !== 'signed-in') return;
	const query = searchOf(url.searchParams);
	prefetch(keyOf(query), query);
}
