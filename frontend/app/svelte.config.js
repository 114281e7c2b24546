// SvelteKit in SPA mode: no server rendering, one fallback page (index.html) that the API answers
// for every /app/... path without a file of its own (src/dam/api/frontend.py).
import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

const out = '../../src/dam/web/app';

/** @type {import('@sveltejs/kit').Config} */
export default {
	preprocess: vitePreprocess(),
	kit: {
		adapter: adapter({ pages: out, assets: out, fallback: 'index.html', precompress: false, strict: true }),
		// Absolute asset paths: the fallback page is served at any depth below /app/.
		paths: { base: '/app', relative: false },
		// Vite's client must not inline anything the Content-Security-Policy would refuse.
		output: { preloadStrategy: 'modulepreload' },
		version: { pollInterval: 0 }
	}
};
