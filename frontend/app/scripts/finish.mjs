// After `vite build`: the sha256 of every inline script of the app's page (SvelteKit's start-up
// script), written to csp.json for the API's Content-Security-Policy, and a gzip and a brotli copy
// beside each file worth compressing (the API serves them to clients that accept them).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

function* files(dir, pattern) {
	for (const name of readdirSync(dir)) {
		const path = join(dir, name);
		if (statSync(path).isDirectory()) yield* files(path, pattern);
		else if (pattern.test(name)) yield path;
	}
}

const out = new URL('../../../src/dam/web/app/', import.meta.url).pathname;
const hash = (text) => `sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`;
const page = readFileSync(join(out, 'index.html'), 'utf8');

const scripts = [...page.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].map(
	(m) => hash(m[1])
);
if (scripts.length === 0) throw new Error('no inline start-up script in index.html');
if (/\sstyle=|<style/.test(page)) throw new Error('index.html has inline styles: the policy refuses them');

// Static style attributes in the scripts' HTML templates (SvelteKit's route announcer, a visually
// hidden live region, has one): allowed by their hashes with 'unsafe-hashes', no other inline style.
const styles = new Set();
for (const path of files(out, /\.js$/)) {
	for (const m of readFileSync(path, 'utf8').matchAll(/<[a-z][^<>`]*\sstyle="([^"`$]*)"/g)) styles.add(m[1]);
}
const manifest = { script_hashes: scripts, style_attribute_hashes: [...styles].map(hash) };
writeFileSync(join(out, 'csp.json'), JSON.stringify(manifest, null, 2) + '\n');

// The library (the app's "/" route) is where nearly every visit starts: library.html is index.html
// with the library page's modules and styles preloaded too, so the browser fetches them beside the
// entry instead of after it (the API serves it for /app/; other routes keep index.html, whose
// inline script is the same, so the same hash allows it).
const app = new URL('../', import.meta.url).pathname;
const vite = JSON.parse(readFileSync(join(app, '.svelte-kit/output/client/.vite/manifest.json'), 'utf8'));
const routes = readFileSync(join(app, '.svelte-kit/generated/client-optimized/app.js'), 'utf8');
const libraryNode = routes.match(/"\/":\s*\[(\d+)/)?.[1];
if (libraryNode === undefined) throw new Error('no "/" route in the generated app.js');
const closure = (key, seen = new Set()) => {
	if (seen.has(key)) return seen;
	seen.add(key);
	for (const dep of vite[key]?.imports ?? []) closure(dep, seen);
	return seen;
};
const library = closure(`.svelte-kit/generated/client-optimized/nodes/${libraryNode}.js`);
const preloaded = new Set([...page.matchAll(/href="\/app\/([^"]+)"/g)].map((m) => m[1]));
const links = [];
for (const key of library) {
	const { file, css = [] } = vite[key];
	if (!preloaded.has(file)) links.push(`<link href="/app/${file}" rel="modulepreload">`);
	for (const sheet of css) if (!preloaded.has(sheet)) links.push(`<link href="/app/${sheet}" rel="preload" as="style">`);
}
if (!page.includes('\n\t</head>')) throw new Error('index.html has no </head> where it was');
writeFileSync(join(out, 'library.html'), page.replace('\n\t</head>', `${links.map((l) => `\n\t\t${l}`).join('')}\n\t</head>`));

const COMPRESSIBLE = /\.(js|mjs|css|html|json|svg|txt|map)$/;
for (const path of files(out, COMPRESSIBLE)) {
	const data = readFileSync(path);
	if (data.length < 256) continue;
	writeFileSync(`${path}.gz`, gzipSync(data, { level: 9 }));
	writeFileSync(
		`${path}.br`,
		brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length } })
	);
}
console.log(`csp.json: ${scripts.length} inline script(s), ${styles.size} style attribute(s); precompressed ${out}`);
