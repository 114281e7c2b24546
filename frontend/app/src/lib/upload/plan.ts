// What an upload is made of, as pure functions: a file's identity, its type, its parts, the
// batch's tags and the tray's totals.

/** A file as the uploader knows it: the bytes, and where it sat in a dropped or picked folder. */
export interface Picked {
	file: File;
	path: string;
}

/** Types the browser may leave empty (it knows most by their extension, not all). */
const TYPES: Record<string, string> = {
	mp4: 'video/mp4', m4v: 'video/mp4', mov: 'video/quicktime', mkv: 'video/x-matroska', webm: 'video/webm',
	m4a: 'audio/mp4', mp3: 'audio/mpeg', wav: 'audio/wav', ogg: 'audio/ogg', opus: 'audio/ogg', flac: 'audio/flac',
	jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp', gif: 'image/gif', avif: 'image/avif',
	heic: 'image/heic', heif: 'image/heif', tif: 'image/tiff', tiff: 'image/tiff'
};

/** The media type to declare: the browser's, else one known by the extension. */
export function contentTypeOf(file: { name: string; type: string }): string {
	if (file.type) return file.type;
	const dot = file.name.lastIndexOf('.');
	return (dot > 0 && TYPES[file.name.slice(dot + 1).toLowerCase()]) || 'application/octet-stream';
}

/** Who a file is across a reload: what a person picking the same file again gives back. */
export function identityOf(file: { name: string; size: number; lastModified: number }): string {
	return `${file.name}|${file.size}|${file.lastModified}`;
}

/** Hidden files and folders of a folder (`.DS_Store`, `._photo.jpg`, `.git/`) and the system's
 * thumbnail caches. */
export function isClutter(path: string): boolean {
	const names = path.split('/');
	const name = names.at(-1);
	return names.some((n) => n.startsWith('.')) || name === 'Thumbs.db' || name === 'desktop.ini';
}

/** Part `number`'s byte range (1-based, `end` exclusive) in a file of `size` cut in `partSize`. */
export function partRange(number: number, partSize: number, size: number): { start: number; end: number } {
	const start = (number - 1) * partSize;
	return { start, end: Math.min(size, start + partSize) };
}

/** How many parts a file takes (at least one, as storage counts an empty upload). */
export function partCount(size: number, partSize: number): number {
	return Math.max(1, Math.ceil(size / partSize));
}

/** The part numbers storage does not hold yet, in order. */
export function missingParts(count: number, stored: Iterable<number>): number[] {
	const have = new Set(stored);
	return Array.from({ length: count }, (_, i) => i + 1).filter((n) => !have.has(n));
}

/** Tags typed as a comma-separated list: trimmed, empty ones dropped, repeats (any case) once. */
export function parseTags(text: string): string[] {
	const seen = new Set<string>();
	const tags: string[] = [];
	for (const raw of text.split(',')) {
		const tag = raw.trim();
		if (tag && !seen.has(tag.toLowerCase())) {
			seen.add(tag.toLowerCase());
			tags.push(tag);
		}
	}
	return tags;
}

export function sameTags(a: readonly string[], b: readonly string[]): boolean {
	return a.length === b.length && a.every((t, i) => t === b[i]);
}

/** Base64 of bytes (a part's SHA-256 as storage wants it). */
export function base64(bytes: Uint8Array): string {
	let binary = '';
	for (const b of bytes) binary += String.fromCharCode(b);
	return btoa(binary);
}

export function hex(bytes: Uint8Array): string {
	return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
