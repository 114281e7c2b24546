// The upload queue: each file is hashed (one at a time), checked against the workspace's copies,
// created, sent straight to storage (a single PUT or parts, a few files and a few parts of each at
// once) and completed; then the batch's tags and collection are applied. Pause aborts what is in
// flight; resume asks the API what storage holds and sends the rest. Unfinished uploads are kept
// in a journal, so a reload resumes them.
import { writable, type Readable } from 'svelte/store';
import { fileSha256, partSha256 } from './hash';
import { keyOf, type Entry, type Journal } from './journal';
import { contentTypeOf, missingParts, partCount, partRange, sameTags, type Picked } from './plan';
import { UploadError, type Asset, type DonePart, type Instructions, type Transport } from './transport';

export type State = 'queued' | 'hashing' | 'duplicate' | 'ready' | 'uploading' | 'paused' | 'done' | 'failed';

/** One file's row, as the tray shows it. */
export interface Item {
	id: number;
	name: string;
	path: string;
	size: number;
	state: State;
	/** Bytes in storage (or on their way), 0 to `size`. */
	sent: number;
	/** How much of the file is hashed, 0 to 1. */
	hashed: number;
	error: string | null;
	/** Why a file is held back as a duplicate. */
	duplicate: string | null;
	/** Something that went wrong after the upload (tags, collection). */
	note: string | null;
	assetId: string | null;
	resumed: boolean;
}

export interface Uploads {
	items: Item[];
	tags: string[];
	collection: string | null;
	/** Unfinished uploads from before a reload whose files must be chosen again. */
	missing: string[];
}

export interface Options {
	transport: Transport;
	journal: Journal;
	/** Whose uploads these are (the person and the workspace): the journal's partition. */
	owner: () => string;
	onUploaded?: (asset: Asset) => void;
	files?: number;
	parts?: number;
	retries?: number;
	backoff?: number;
}

interface Upload extends Item {
	file: File;
	sha256: string | null;
	key: string;
	controller: AbortController | null;
	held: boolean;
	pausing: boolean;
	forced: boolean;
	confirmed: number;
	inflight: Map<number, number>;
	appliedTags: string[];
	appliedCollection: string | null;
}

/** Statuses of an asset whose bytes are in: a copy, and a resumed upload that finished meanwhile. */
const IN = new Set(['uploaded', 'processing', 'ready']);
const FINISHED: State[] = ['done', 'duplicate', 'failed'];

export interface Uploader extends Readable<Uploads> {
	add(files: Picked[]): void;
	restore(): Promise<void>;
	pause(id?: number): void;
	resume(id?: number): void;
	retry(id: number): void;
	uploadAnyway(id: number): void;
	remove(id: number): void;
	clearFinished(): void;
	setTags(tags: string[]): Promise<void>;
	setCollection(id: string | null): Promise<void>;
}

export function createUploader(options: Options): Uploader {
	const { transport, journal } = options;
	const FILES = options.files ?? 3;
	const PARTS = options.parts ?? 3;
	const RETRIES = options.retries ?? 3;
	const BACKOFF = options.backoff ?? 500;
	let uploads: Upload[] = [];
	let tags: string[] = [];
	let collection: string | null = null;
	let missing: Entry[] = [];
	let hashing = false;
	let nextId = 1;
	let timer: ReturnType<typeof setTimeout> | null = null;

	const view = (u: Upload): Item => ({
		id: u.id, name: u.name, path: u.path, size: u.size, state: u.state, hashed: u.hashed, error: u.error,
		duplicate: u.duplicate, note: u.note, assetId: u.assetId, resumed: u.resumed,
		sent: Math.min(u.size, u.confirmed + [...u.inflight.values()].reduce((a, b) => a + b, 0))
	});
	const snapshot = (): Uploads => ({ items: uploads.map(view), tags, collection, missing: missing.map((e) => e.path) });
	const store = writable<Uploads>(snapshot());

	function publish() {
		if (timer) clearTimeout(timer);
		timer = null;
		store.set(snapshot());
	}
	/** Progress: at most ten redraws a second. */
	function publishSoon() {
		timer ??= setTimeout(publish, 100);
	}

	function fresh(picked: Picked, entry?: Entry): Upload {
		const { file, path } = picked;
		return {
			id: nextId++, name: file.name, path: path || file.name, size: file.size, state: entry ? 'ready' : 'queued',
			sent: 0, hashed: entry ? 1 : 0, error: null, duplicate: null, note: null, assetId: entry?.assetId ?? null,
			resumed: !!entry, file, sha256: entry?.sha256 ?? null, key: keyOf(options.owner(), file), controller: null,
			held: false, pausing: false, forced: false, confirmed: 0, inflight: new Map(), appliedTags: entry?.tags ?? [],
			appliedCollection: null
		};
	}

	function pump() {
		if (!hashing) {
			const next = uploads.find((u) => u.state === 'queued');
			if (next) {
				hashing = true;
				check(next).finally(() => {
					hashing = false;
					pump();
				});
			}
		}
		let active = uploads.filter((u) => u.state === 'uploading').length;
		for (const u of uploads) {
			if (active >= FILES) break;
			if (u.state === 'ready') {
				active++;
				run(u);
			}
		}
		publish();
	}

	/** Hash the file and hold it back when the workspace (or this batch) has it already. */
	async function check(u: Upload) {
		u.state = 'hashing';
		publish();
		try {
			u.sha256 = await fileSha256(u.file, (done) => {
				u.hashed = u.size ? done / u.size : 1;
				publishSoon();
			});
			const twin = uploads.find((o) => o !== u && o.sha256 === u.sha256 && !['failed', 'duplicate'].includes(o.state));
			const copies = (await transport.duplicates(u.sha256)).filter((a) => IN.has(a.status));
			if (copies.length && !u.forced) u.duplicate = `Already in the library as “${copies[0].filename}”.`;
			else if (twin && !u.forced) u.duplicate = `The same file as “${twin.path}” in this upload.`;
			u.state = u.duplicate ? 'duplicate' : u.held ? 'paused' : 'ready';
		} catch (error) {
			fail(u, error);
		}
	}

	function fail(u: Upload, error: unknown) {
		u.state = 'failed';
		u.error = error instanceof Error ? error.message : String(error);
	}

	async function run(u: Upload) {
		u.state = 'uploading';
		u.error = null;
		u.pausing = false;
		const controller = (u.controller = new AbortController());
		publish();
		try {
			await send(u, controller.signal);
		} catch (error) {
			u.inflight.clear();
			if (u.pausing) u.state = 'paused';
			else fail(u, error);
		} finally {
			u.controller = null;
			pump();
		}
	}

	async function send(u: Upload, signal: AbortSignal) {
		const begun = await begin(u);
		if ('status' in begun) return finish(u, begun);
		u.confirmed = 0;
		let parts: DonePart[] | undefined;
		if (begun.method === 'PUT') await single(u, begun, signal);
		else parts = await multipart(u, begun, signal);
		signal.throwIfAborted();
		await finish(u, await transport.complete(u.assetId!, parts));
	}

	/** The upload's instructions: a new asset, or the one from before (a pause, a reload); an asset
	 * that finished meanwhile is answered as it is, one that is gone is made again. */
	async function begin(u: Upload): Promise<Instructions | Asset> {
		if (u.assetId) {
			try {
				return await transport.renew(u.assetId);
			} catch (error) {
				if (!(error instanceof UploadError) || ![404, 409].includes(error.status)) throw error;
				const asset = await transport.read(u.assetId);
				if (asset && IN.has(asset.status)) return asset;
				await journal.remove(u.key).catch(() => {});
				u.assetId = null;
			}
		}
		const draft = { filename: u.name, content_type: contentTypeOf(u.file), size: u.size, sha256: u.sha256!, tags };
		const created = await transport.create(draft);
		u.assetId = created.id;
		u.appliedTags = draft.tags;
		const entry: Entry = {
			key: u.key, owner: options.owner(), assetId: created.id, sha256: u.sha256!, name: u.name, path: u.path,
			size: u.size, lastModified: u.file.lastModified, type: draft.content_type, tags: draft.tags, file: u.file
		};
		await journal.put(entry).catch(() => {});
		return created.upload;
	}

	async function single(u: Upload, upload: Instructions & { method: 'PUT' }, signal: AbortSignal) {
		let target = upload;
		await attempt(signal, async (again) => {
			if (again) {
				const renewed = await transport.renew(u.assetId!);
				if (renewed.method === 'PUT') target = renewed;
			}
			await putPart(u, 0, target.url, u.file, target.headers, signal);
		});
	}

	async function multipart(u: Upload, upload: Instructions & { method: 'multipart' }, signal: AbortSignal) {
		const size = upload.part_size;
		const count = upload.part_count ?? partCount(u.size, size);
		const done = new Map<number, DonePart>();
		for (const stored of upload.uploaded_parts) {
			const { start, end } = partRange(stored.number, size, u.size);
			const checksum = await partSha256(u.file.slice(start, end));
			done.set(stored.number, { number: stored.number, etag: stored.etag, checksum_sha256: checksum });
			u.confirmed += end - start;
		}
		publish();
		const queue = missingParts(count, done.keys());
		const lane = async () => {
			for (let n = queue.shift(); n !== undefined; n = queue.shift()) done.set(n, await part(u, n, size, signal));
		};
		await Promise.all(Array.from({ length: Math.min(PARTS, queue.length) }, lane)).catch((error) => {
			u.controller?.abort(); // the other lanes stop too
			throw error;
		});
		return [...done.values()].sort((a, b) => a.number - b.number);
	}

	/** One part: its checksum, a URL that signs it, the PUT; retried with a fresh URL. */
	async function part(u: Upload, n: number, size: number, signal: AbortSignal): Promise<DonePart> {
		const { start, end } = partRange(n, size, u.size);
		const blob = u.file.slice(start, end);
		const checksum = await partSha256(blob);
		let etag = '';
		await attempt(signal, async () => {
			const renewed = await transport.renew(u.assetId!, { [n]: checksum });
			const url = renewed.method === 'multipart' ? renewed.parts.find((p) => p.number === n) : undefined;
			if (!url) throw new UploadError(`No upload URL for part ${n}.`);
			etag = await putPart(u, n, url.url, blob, url.headers, signal);
		});
		return { number: n, etag, checksum_sha256: checksum };
	}

	async function putPart(u: Upload, n: number, url: string, blob: Blob, headers: Record<string, string>, signal: AbortSignal) {
		try {
			const etag = await transport.put(url, blob, headers, (loaded) => {
				u.inflight.set(n, loaded);
				publishSoon();
			}, signal); // prettier-ignore
			u.confirmed += blob.size;
			return etag;
		} finally {
			u.inflight.delete(n);
		}
	}

	/** Run `task` until it succeeds, again (after a pause) when storage or the network failed. */
	async function attempt(signal: AbortSignal, task: (again: boolean) => Promise<void>) {
		for (let i = 1; ; i++) {
			try {
				return await task(i > 1);
			} catch (error) {
				const transient = error instanceof UploadError && (error.status === 0 || error.status === 403 || error.status >= 500);
				if (signal.aborted || !transient || i >= RETRIES) throw error;
				await new Promise((resolve) => setTimeout(resolve, BACKOFF * 2 ** (i - 1)));
			}
		}
	}

	async function finish(u: Upload, asset: Asset) {
		u.state = 'done';
		u.confirmed = u.size;
		u.inflight.clear();
		await journal.remove(u.key).catch(() => {});
		options.onUploaded?.(asset);
		await apply(u);
	}

	/** Give a finished upload the batch's tags and collection (as they are now). */
	async function apply(u: Upload) {
		const id = u.assetId!;
		try {
			if (!sameTags(u.appliedTags, tags)) {
				const wanted = tags;
				await transport.retag(id, wanted);
				u.appliedTags = wanted;
			}
			if (u.appliedCollection !== collection) {
				const wanted = collection;
				if (u.appliedCollection) await transport.uncollect(u.appliedCollection, [id]);
				if (wanted) await transport.collect(wanted, [id]);
				u.appliedCollection = wanted;
			}
			u.note = null;
		} catch (error) {
			u.note = `Uploaded, but ${error instanceof Error ? error.message : String(error)}`;
		}
		publish();
	}

	const find = (id: number) => uploads.find((u) => u.id === id);
	const chosen = (id?: number) => (id === undefined ? uploads : uploads.filter((u) => u.id === id));

	return {
		subscribe: store.subscribe,
		add(files) {
			for (const picked of files) {
				const key = keyOf(options.owner(), picked.file);
				if (uploads.some((u) => u.key === key && !FINISHED.includes(u.state))) continue; // picked twice
				const entry = missing.find((e) => e.key === key);
				missing = missing.filter((e) => e !== entry);
				uploads.push(fresh(picked, entry));
			}
			pump();
		},
		async restore() {
			const entries = await journal.all(options.owner());
			const batch = entries.length ? await journal.batch(options.owner()) : null;
			if (batch && !tags.length && collection === null) ({ tags, collection } = batch);
			const known = new Set(uploads.map((u) => u.key));
			for (const entry of entries.filter((e) => !known.has(e.key))) {
				if (entry.file) uploads.push(fresh({ file: entry.file, path: entry.path }, entry));
				else if (!missing.some((e) => e.key === entry.key)) missing.push(entry);
			}
			pump();
		},
		pause(id) {
			for (const u of chosen(id)) {
				if (u.state === 'ready') u.state = 'paused';
				else if (u.state === 'queued' || u.state === 'hashing') u.held = true;
				else if (u.state === 'uploading') {
					u.pausing = true;
					u.controller?.abort();
				}
			}
			publish();
		},
		resume(id) {
			for (const u of chosen(id)) {
				u.held = false;
				if (u.state === 'paused') u.state = 'ready';
			}
			pump();
		},
		retry(id) {
			const u = find(id);
			if (u?.state !== 'failed') return;
			u.error = null;
			u.state = u.sha256 ? 'ready' : 'queued';
			pump();
		},
		uploadAnyway(id) {
			const u = find(id);
			if (u?.state !== 'duplicate') return;
			u.forced = true;
			u.duplicate = null;
			u.state = 'ready';
			pump();
		},
		remove(id) {
			const u = find(id);
			if (!u || u.state === 'uploading') return;
			uploads = uploads.filter((o) => o !== u);
			if (u.state !== 'done') journal.remove(u.key).catch(() => {});
			publish();
		},
		clearFinished() {
			uploads = uploads.filter((u) => u.state !== 'done' && u.state !== 'duplicate');
			publish();
		},
		async setTags(next) {
			tags = next;
			publish();
			await journal.saveBatch(options.owner(), { tags, collection }).catch(() => {});
			await Promise.all(uploads.filter((u) => u.state === 'done').map(apply));
		},
		async setCollection(next) {
			collection = next;
			publish();
			await journal.saveBatch(options.owner(), { tags, collection }).catch(() => {});
			await Promise.all(uploads.filter((u) => u.state === 'done').map(apply));
		}
	};
}
