// A single-page app: rendered in the browser only, from the one fallback page.
export const ssr = false;
export const prerender = false;
