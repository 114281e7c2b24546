import { thumbHashToDataURL } from 'thumbhash';

/** The smallest ThumbHash: its header (five bytes) and no varying terms. */
const HEADER_BYTES = 5;

/**
 * The placeholder to draw until a thumbnail loads: an asset's `thumbhash` (base64, as the API
 * gives it) decoded into a small PNG data URL, or null when there is none or it does not decode.
 */
export function placeholderOf(hash: string | null | undefined): string | null {
	if (!hash) return null;
	let bytes: Uint8Array;
	try {
		bytes = Uint8Array.from(atob(hash), (c) => c.charCodeAt(0));
	} catch {
		return null; // not base64: show no placeholder rather than fail the tile
	}
	if (bytes.length < HEADER_BYTES) return null;
	return thumbHashToDataURL(bytes);
}
