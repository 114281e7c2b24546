import { get } from 'svelte/store';
import { restore, session } from '$lib/stores/session';

// A single-page app: rendered in the browser only, from the one fallback page.
export const ssr = false;
export const prerender = false;

// Whether the cookie names a session is asked as soon as the app starts, while the screen's code
// still loads (once: later navigations know; not on a share link's page, which is for anyone).
export function load({ url }: { url: URL }): void {
	if (get(session).state === 'unknown' && !url.pathname.startsWith('/app/s/')) restore();
}
