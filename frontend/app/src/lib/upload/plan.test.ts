import { describe, expect, it } from 'vitest';
import { fileSha256, partSha256, WHOLE } from './hash';
import { base64, contentTypeOf, hex, identityOf, isClutter, missingParts, parseTags, partCount, partRange } from './plan';

const MiB = 1024 * 1024;
/** The platform's own digest, the oracle. */
const digest = async (bytes: Uint8Array<ArrayBuffer>) => new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));

describe('upload plan', () => {
	it.each([
		[0, 1],
		[1, 1],
		[5 * MiB, 1],
		[5 * MiB + 1, 2],
		[12 * MiB, 3]
	])('a file of %i bytes takes %i parts of 5 MiB', (size, parts) => {
		expect(partCount(size, 5 * MiB)).toBe(parts);
	});

	it('cuts parts end to end, the last one short', () => {
		const size = 12 * MiB + 7;
		expect(partRange(1, 5 * MiB, size)).toEqual({ start: 0, end: 5 * MiB });
		expect(partRange(3, 5 * MiB, size)).toEqual({ start: 10 * MiB, end: size });
	});

	it('lists the parts storage does not hold', () => {
		expect(missingParts(5, [2, 4])).toEqual([1, 3, 5]);
		expect(missingParts(2, [1, 2])).toEqual([]);
	});

	it('reads tags as a comma-separated list, repeats once whatever their case', () => {
		expect(parseTags(' red, Blue ,,red , RED, blue sky')).toEqual(['red', 'Blue', 'blue sky']);
		expect(parseTags('')).toEqual([]);
	});

	it('knows a type by its extension when the browser gives none', () => {
		expect(contentTypeOf({ name: 'a.M4A', type: '' })).toBe('audio/mp4');
		expect(contentTypeOf({ name: 'a.jpg', type: 'image/png' })).toBe('image/png');
		expect(contentTypeOf({ name: 'README', type: '' })).toBe('application/octet-stream');
	});

	it('leaves out the hidden files and caches of a folder', () => {
		expect(['shoot/.DS_Store', 'shoot/._a.jpg', 'shoot/Thumbs.db', '.git/x'].map(isClutter)).toEqual([true, true, true, true]);
		expect(isClutter('shoot/a.jpg')).toBe(false);
	});

	it('names a file by name, size and time', () => {
		expect(identityOf({ name: 'a.jpg', size: 3, lastModified: 9 })).toBe('a.jpg|3|9');
	});
});

describe('hashes', () => {
	it('hashes a large file a slice at a time as a small one is hashed whole', async () => {
		const bytes = new Uint8Array(WHOLE + 3 * MiB + 11).map((_, i) => (i * 7) & 0xff);
		const seen: number[] = [];
		const whole = await fileSha256(new Blob([bytes]), (n) => seen.push(n));
		expect(whole).toBe(hex(await digest(bytes)));
		expect(seen.at(-1)).toBe(bytes.length);
		expect(seen.length).toBeGreaterThan(8);
		const small = bytes.slice(0, 1000);
		expect(await fileSha256(new Blob([small]))).toBe(hex(await digest(small)));
		expect(await partSha256(new Blob([small]))).toBe(base64(await digest(small)));
		// The oracle's base64 is the usual one (the empty input's digest, as every tool prints it).
		expect(base64(await digest(new Uint8Array(0)))).toBe('47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=');
	});
});
