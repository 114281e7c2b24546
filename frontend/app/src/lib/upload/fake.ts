// A transport for the queue's tests: the API and storage in memory, strict as the real ones are
// where the queue could go wrong (a part's checksum, a whole file's SHA-256, the parts at completion),
// with PUTs that a test can hold, fail or count.
import { base64, partCount } from './plan';
import { UploadError, type Asset, type DonePart, type Draft, type Instructions, type Transport } from './transport';

const MiB = 1024 * 1024;

interface Stored {
	draft: Draft;
	multipart: boolean;
	partSize: number;
	parts: Map<number, { etag: string; size: number }>;
	status: string;
	whole: boolean;
}

const b64 = async (bytes: ArrayBuffer) => base64(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)));
const hexToBase64 = (hex: string) => base64(Uint8Array.from(hex.match(/../g)!, (h) => parseInt(h, 16)));

export class FakeTransport implements Transport {
	assets = new Map<string, Stored>();
	/** What the workspace already has, by SHA-256. */
	copies: { sha256: string; id: string; filename: string; status: string }[] = [];
	calls: string[] = [];
	collections = new Map<string, Set<string>>();
	tags = new Map<string, string[]>();
	partSize = 5 * MiB;
	threshold = 8 * MiB;
	/** PUTs wait for this before they land. */
	gate: Promise<void> = Promise.resolve();
	inflight = 0;
	maxInflight = 0;
	failPuts = 0;
	refuse: ((draft: Draft) => UploadError | null) | null = null;
	private next = 1;

	open() {
		let release = () => {};
		this.gate = new Promise((resolve) => (release = resolve));
		return release;
	}

	async duplicates(sha256: string) {
		this.calls.push(`duplicates ${sha256.slice(0, 8)}`);
		return this.copies.filter((c) => c.sha256 === sha256) as unknown as Asset[];
	}

	async create(draft: Draft) {
		this.calls.push(`create ${draft.filename}`);
		const refusal = this.refuse?.(draft);
		if (refusal) throw refusal;
		const id = `asset-${this.next++}`;
		const multipart = draft.size > this.threshold;
		this.assets.set(id, { draft, multipart, partSize: this.partSize, parts: new Map(), status: 'pending_upload', whole: false });
		if (draft.tags.length) this.tags.set(id, draft.tags);
		return { id, upload: this.instructions(id, null) };
	}

	private instructions(id: string, checksums: Record<string, string> | null): Instructions {
		const a = this.assets.get(id)!;
		const expires_at = new Date(Date.now() + 3600_000).toISOString();
		if (!a.multipart) {
			return { method: 'PUT', url: `mem://${id}/0`, headers: { 'Content-Type': a.draft.content_type, 'x-amz-checksum-sha256': hexToBase64(a.draft.sha256) }, expires_at };
		}
		const parts = Object.entries(checksums ?? {}).map(([n, c]) => ({ number: Number(n), url: `mem://${id}/${n}`, headers: { 'x-amz-checksum-sha256': c } }));
		const uploaded_parts = [...a.parts].map(([number, p]) => ({ number, etag: p.etag, size: p.size }));
		return { method: 'multipart', upload_id: `up-${id}`, part_size: a.partSize, part_count: partCount(a.draft.size, a.partSize), part_checksums: true, parts, uploaded_parts, expires_at };
	}

	private pending(id: string): Stored {
		const a = this.assets.get(id);
		if (!a) throw new UploadError('asset not found', 404);
		if (a.status !== 'pending_upload') throw new UploadError(`asset is ${a.status}`, 409);
		return a;
	}

	async renew(id: string, partChecksums?: Record<string, string>) {
		this.calls.push(`renew ${id}${partChecksums ? ' ' + Object.keys(partChecksums).join(',') : ''}`);
		this.pending(id);
		return this.instructions(id, partChecksums ?? null);
	}

	async put(url: string, body: Blob, headers: Record<string, string>, onProgress: (n: number) => void, signal: AbortSignal) {
		const [id, n] = url.slice('mem://'.length).split('/');
		this.inflight++;
		this.maxInflight = Math.max(this.maxInflight, this.inflight);
		try {
			onProgress(Math.floor(body.size / 2));
			await new Promise<void>((resolve, reject) => {
				if (signal.aborted) return reject(new DOMException('aborted', 'AbortError'));
				signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')), { once: true });
				this.gate.then(resolve);
			});
			if (this.failPuts > 0) {
				this.failPuts--;
				throw new UploadError('Storage could not be reached.');
			}
			const bytes = await body.arrayBuffer();
			if (headers['x-amz-checksum-sha256'] !== (await b64(bytes))) throw new UploadError('BadDigest', 400);
			const a = this.assets.get(id)!;
			const etag = `etag-${id}-${n}`;
			if (n === '0') a.whole = true;
			else a.parts.set(Number(n), { etag, size: bytes.byteLength });
			this.calls.push(`put ${id} ${n}`);
			return etag;
		} finally {
			this.inflight--;
		}
	}

	async complete(id: string, parts?: DonePart[]) {
		this.calls.push(`complete ${id}`);
		const a = this.pending(id);
		if (a.multipart) {
			const count = partCount(a.draft.size, a.partSize);
			const ok = parts?.length === count && parts.every((p, i) => p.number === i + 1 && a.parts.get(p.number)?.etag === p.etag && p.checksum_sha256);
			if (!ok) throw new UploadError('parts do not match', 400);
		} else if (!a.whole) throw new UploadError('no object in storage yet', 409);
		a.status = 'uploaded';
		return this.asset(id);
	}

	asset(id: string): Asset {
		const a = this.assets.get(id)!;
		return { id, filename: a.draft.filename, status: a.status, tags: this.tags.get(id) ?? [] } as unknown as Asset;
	}

	async read(id: string) {
		return this.assets.has(id) ? this.asset(id) : null;
	}

	async retag(id: string, tags: string[]) {
		this.calls.push(`retag ${id} ${tags.join(',')}`);
		this.tags.set(id, tags);
	}

	async collect(collection: string, ids: string[]) {
		this.calls.push(`collect ${collection} ${ids.join(',')}`);
		const members = this.collections.get(collection) ?? new Set();
		ids.forEach((id) => members.add(id));
		this.collections.set(collection, members);
	}

	async uncollect(collection: string, ids: string[]) {
		this.calls.push(`uncollect ${collection} ${ids.join(',')}`);
		ids.forEach((id) => this.collections.get(collection)?.delete(id));
	}
}
