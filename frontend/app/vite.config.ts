import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vitest/config';

export default defineConfig({
	plugins: [sveltekit()],
	logLevel: 'warn',
	build: {
		// Small assets stay files: a data: URL in a stylesheet is fine, but scripts are never inlined.
		assetsInlineLimit: 0,
		reportCompressedSize: false
	},
	test: {
		include: ['src/**/*.test.ts'],
		environment: 'node'
	}
});
