// The uploader's way out: the API's upload routes (through the one client) and storage's presigned
// PUTs (XMLHttpRequest, the one browser request that reports upload progress). The queue only
// sees this interface, so its tests run against a fake.
import { api, messageOf, type Schemas } from '$lib/api/client';

export type Instructions = Schemas['SingleUpload'] | Schemas['MultipartUpload'];
export type Asset = Schemas['AssetOut'];

export interface Draft {
	filename: string;
	content_type: string;
	size: number;
	sha256: string;
	tags: string[];
}

export interface DonePart {
	number: number;
	etag: string;
	checksum_sha256: string;
}

/** A refusal or failure, with the HTTP status (0: the network, or storage unreachable). */
export class UploadError extends Error {
	constructor(
		message: string,
		readonly status = 0
	) {
		super(message);
		this.name = 'UploadError';
	}
}

export interface Transport {
	/** Assets of the workspace that declared this SHA-256 (any state). */
	duplicates(sha256: string): Promise<Pick<Asset, 'id' | 'filename' | 'status'>[]>;
	create(draft: Draft): Promise<{ id: string; upload: Instructions }>;
	/** Fresh URLs; for multipart with `partChecksums` (number -> base64), those parts' URLs. */
	renew(id: string, partChecksums?: Record<string, string>): Promise<Instructions>;
	complete(id: string, parts?: DonePart[]): Promise<Asset>;
	read(id: string): Promise<Asset | null>;
	/** PUT `body` to a presigned URL with exactly `headers`; resolves with the ETag. */
	put(
		url: string,
		body: Blob,
		headers: Record<string, string>,
		onProgress: (loaded: number) => void,
		signal: AbortSignal
	): Promise<string>;
	retag(id: string, tags: string[]): Promise<void>;
	collect(collection: string, ids: string[]): Promise<void>;
	uncollect(collection: string, ids: string[]): Promise<void>;
}

function refused(error: unknown, response: Response, what: string): UploadError {
	return new UploadError(messageOf(error, `${what} failed (${response.status}).`), response.status);
}

function put(
	url: string,
	body: Blob,
	headers: Record<string, string>,
	onProgress: (loaded: number) => void,
	signal: AbortSignal
): Promise<string> {
	return new Promise((resolve, reject) => {
		if (signal.aborted) return reject(signal.reason);
		const xhr = new XMLHttpRequest();
		xhr.open('PUT', url);
		for (const [name, value] of Object.entries(headers)) {
			if (name.toLowerCase() !== 'content-length') xhr.setRequestHeader(name, value); // the browser's
		}
		const abort = () => xhr.abort();
		signal.addEventListener('abort', abort, { once: true });
		const settle = () => signal.removeEventListener('abort', abort);
		xhr.upload.onprogress = (e) => onProgress(e.loaded);
		xhr.onload = () => {
			settle();
			if (xhr.status >= 200 && xhr.status < 300) {
				onProgress(body.size);
				resolve((xhr.getResponseHeader('ETag') ?? '').replaceAll('"', ''));
			} else {
				reject(new UploadError(storageError(xhr), xhr.status));
			}
		};
		xhr.onerror = () => {
			settle();
			reject(new UploadError('Storage could not be reached.'));
		};
		xhr.onabort = () => {
			settle();
			reject(signal.reason ?? new DOMException('aborted', 'AbortError'));
		};
		xhr.send(body);
	});
}

/** Storage's own reason (its XML error's Code and Message), in words. */
function storageError(xhr: XMLHttpRequest): string {
	const code = /<Code>([^<]*)<\/Code>/.exec(xhr.responseText)?.[1];
	if (code === 'BadDigest') return 'The file changed while it was being uploaded: its bytes do not match its checksum.';
	if (xhr.status === 403) return `Storage refused the upload (${code ?? xhr.status}).`;
	return `Storage answered ${xhr.status}${code ? ` (${code})` : ''}.`;
}

/** The real thing: the API through its client, storage through presigned URLs. */
export const http: Transport = {
	async duplicates(sha256) {
		const { data, error, response } = await api.GET('/assets', { params: { query: { sha256, limit: 20 } } });
		if (!data) throw refused(error, response, 'Checking for copies');
		return data.items;
	},
	async create(draft) {
		const body = { ...draft, part_checksums: true, ...(draft.tags.length ? {} : { tags: null }) };
		const { data, error, response } = await api.POST('/assets', { body: body as Schemas['CreateAsset'] });
		if (!data) throw refused(error, response, 'Creating the asset');
		return { id: data.id, upload: data.upload };
	},
	async renew(id, partChecksums) {
		const body = partChecksums ? ({ part_checksums: partChecksums } as Schemas['RenewUpload']) : undefined;
		const { data, error, response } = await api.POST('/assets/{asset_id}/upload', {
			params: { path: { asset_id: id } },
			body
		});
		if (!data) throw refused(error, response, 'Resuming the upload');
		return data;
	},
	async complete(id, parts) {
		const body = parts ? ({ parts } as Schemas['CompleteUpload']) : undefined;
		const { data, error, response } = await api.POST('/assets/{asset_id}/complete', {
			params: { path: { asset_id: id } },
			body
		});
		if (!data) throw refused(error, response, 'Completing the upload');
		return data;
	},
	async read(id) {
		const { data, response, error } = await api.GET('/assets/{asset_id}', { params: { path: { asset_id: id } } });
		if (response.status === 404) return null;
		if (!data) throw refused(error, response, 'Reading the asset');
		return data;
	},
	put,
	async retag(id, tags) {
		const { error, response } = await api.PATCH('/assets/{asset_id}', {
			params: { path: { asset_id: id } },
			body: { tags: tags.length ? tags : null } as Schemas['PatchAsset']
		});
		if (!response.ok) throw refused(error, response, 'Tagging');
	},
	async collect(collection, ids) {
		const { error, response } = await api.POST('/collections/{collection_id}/assets', {
			params: { path: { collection_id: collection } },
			body: { asset_ids: ids }
		});
		if (!response.ok) throw refused(error, response, 'Adding to the collection');
	},
	async uncollect(collection, ids) {
		const { error, response } = await api.DELETE('/collections/{collection_id}/assets', {
			params: { path: { collection_id: collection } },
			body: { asset_ids: ids }
		});
		if (!response.ok) throw refused(error, response, 'Removing from the collection');
	}
};
