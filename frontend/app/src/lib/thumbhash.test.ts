import { describe, expect, it } from 'vitest';
import { rgbaToThumbHash, thumbHashToDataURL } from 'thumbhash';
import { placeholderOf } from './thumbhash';

/** A w x h picture of one colour, as RGBA bytes. */
function flat(w: number, h: number, [r, g, b, a]: number[]): Uint8Array {
	const rgba = new Uint8Array(w * h * 4);
	for (let i = 0; i < rgba.length; i += 4) rgba.set([r, g, b, a], i);
	return rgba;
}

function base64(bytes: Uint8Array): string {
	return btoa(String.fromCharCode(...bytes));
}

/** The width and height of a PNG data URL's image (its IHDR chunk). */
function pngSize(url: string): [number, number] {
	const png = Uint8Array.from(atob(url.slice(url.indexOf(',') + 1)), (c) => c.charCodeAt(0));
	const view = new DataView(png.buffer);
	return [view.getUint32(16), view.getUint32(20)];
}

describe('placeholderOf', () => {
	it('decodes the base64 hash the API gives into the PNG the reference draws', () => {
		const hash = rgbaToThumbHash(40, 30, flat(40, 30, [200, 120, 40, 255]));
		const url = placeholderOf(base64(hash));
		expect(url).toBe(thumbHashToDataURL(hash));
		expect(url).toMatch(/^data:image\/png;base64,/);
	});

	it('keeps the aspect ratio of a wide picture', () => {
		const [w, h] = pngSize(placeholderOf(base64(rgbaToThumbHash(100, 25, flat(100, 25, [0, 0, 0, 255]))))!);
		expect(w / h).toBeGreaterThan(2.5);
	});

	it('gives nothing for a missing or broken hash', () => {
		expect(placeholderOf(null)).toBeNull();
		expect(placeholderOf(undefined)).toBeNull();
		expect(placeholderOf('')).toBeNull();
		expect(placeholderOf('not base64!')).toBeNull();
		expect(placeholderOf(btoa('abc'))).toBeNull();
	});
});
