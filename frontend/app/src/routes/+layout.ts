import { restore } from '$lib/stores/session';

// A single-page app: rendered in the browser only, from the one fallback page.
export const ssr = false;
export const prerender = false;

// Whether the cookie names a session is asked as soon as the app starts, while the screen's code
// still loads (the layout's components ask too, and get the same answer).
export function load(): void {
	restore();
}
