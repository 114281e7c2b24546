// SHA-256 of what is uploaded: of the whole file (declared at creation: a single PUT's URL signs it,
// and it finds the workspace's copies) and of each multipart part (storage checks it). SubtleCrypto
// has no incremental digest, so a large file goes through @noble/hashes a slice at a time and is
// never held in memory whole.
import { sha256 } from '@noble/hashes/sha2.js';
import { base64, hex } from './plan';

/** Files up to this size are read whole and hashed natively. */
export const WHOLE = 32 * 1024 * 1024;
const SLICE = 4 * 1024 * 1024;

/** Hex SHA-256 of `file`; `onProgress` gets the bytes hashed so far. */
export async function fileSha256(
	file: Blob,
	onProgress: (done: number) => void = () => {},
	signal?: AbortSignal
): Promise<string> {
	if (file.size <= WHOLE) {
		const digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
		onProgress(file.size);
		return hex(new Uint8Array(digest));
	}
	const hash = sha256.create();
	for (let start = 0; start < file.size; start += SLICE) {
		signal?.throwIfAborted();
		const slice = await file.slice(start, start + SLICE).arrayBuffer();
		hash.update(new Uint8Array(slice));
		onProgress(Math.min(file.size, start + SLICE));
	}
	return hex(hash.digest());
}

/** Base64 SHA-256 of one part. */
export async function partSha256(part: Blob): Promise<string> {
	return base64(new Uint8Array(await crypto.subtle.digest('SHA-256', await part.arrayBuffer())));
}
