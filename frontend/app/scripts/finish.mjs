// After `vite build`: the sha256 of every inline script of the app's page (SvelteKit's start-up
// script), written to csp.json for the API's Content-Security-Policy, and a gzip and a brotli copy
// beside each file worth compressing (the API serves them to clients that accept them).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const out = new URL('../../../src/dam/web/app/', import.meta.url).pathname;
const page = readFileSync(join(out, 'index.html'), 'utf8');

const scripts = [...page.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].map(
	(m) => `sha256-${createHash('sha256').update(m[1], 'utf8').digest('base64')}`
);
if (scripts.length === 0) throw new Error('no inline start-up script in index.html');
if (/\sstyle=|<style/.test(page)) throw new Error('index.html has inline styles: the policy refuses them');
writeFileSync(join(out, 'csp.json'), JSON.stringify({ script_hashes: scripts }, null, 2) + '\n');

const COMPRESSIBLE = /\.(js|mjs|css|html|json|svg|txt|map)$/;
function* files(dir) {
	for (const name of readdirSync(dir)) {
		const path = join(dir, name);
		if (statSync(path).isDirectory()) yield* files(path);
		else if (COMPRESSIBLE.test(name)) yield path;
	}
}
for (const path of files(out)) {
	const data = readFileSync(path);
	if (data.length < 256) continue;
	writeFileSync(`${path}.gz`, gzipSync(data, { level: 9 }));
	writeFileSync(
		`${path}.br`,
		brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length } })
	);
}
console.log(`csp.json: ${scripts.length} inline script(s); precompressed ${out}`);
