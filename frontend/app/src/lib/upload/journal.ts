// What survives a reload: each unfinished upload's asset id, its file's identity and SHA-256 and,
// when the browser can keep it (Chromium and Firefox store a File in IndexedDB), the file itself, so
// a reload resumes without asking for the files again. Larger files are kept by identity only: the
// person chooses them again and the upload goes on from the parts storage holds.
import { identityOf } from './plan';

export interface Entry {
	/** `owner` and the file's identity: one person's uploads in one workspace never mix. */
	key: string;
	owner: string;
	assetId: string;
	sha256: string;
	name: string;
	path: string;
	size: number;
	lastModified: number;
	type: string;
	/** The tags the asset was created with. */
	tags: string[];
	file?: File;
}

/** The tags and collection chosen for the batch, kept while it has unfinished uploads. */
export interface Batch {
	tags: string[];
	collection: string | null;
}

export interface Journal {
	all(owner: string): Promise<Entry[]>;
	put(entry: Entry): Promise<void>;
	remove(key: string): Promise<void>;
	batch(owner: string): Promise<Batch | null>;
	saveBatch(owner: string, batch: Batch): Promise<void>;
}

/** Files up to this size are kept in the browser for a resume after a reload (a copy on disk). */
export const KEEP_FILES_UP_TO = 512 * 1024 * 1024;

export function keyOf(owner: string, file: { name: string; size: number; lastModified: number }): string {
	return `${owner}|${identityOf(file)}`;
}

/** For tests, and for browsers without IndexedDB: lost with the page. */
export function memoryJournal(): Journal & { entries: Map<string, Entry> } {
	const entries = new Map<string, Entry>();
	const batches = new Map<string, Batch>();
	return {
		entries,
		async batch(owner) {
			return batches.get(owner) ?? null;
		},
		async saveBatch(owner, batch) {
			batches.set(owner, batch);
		},
		async all(owner) {
			return [...entries.values()].filter((e) => e.owner === owner);
		},
		async put(entry) {
			entries.set(entry.key, entry);
		},
		async remove(key) {
			entries.delete(key);
		}
	};
}

const DB = 'dam.uploads';
const STORE = 'unfinished';
const BATCHES = 'batches';

function request<T>(req: IDBRequest<T>): Promise<T> {
	return new Promise((resolve, reject) => {
		req.onsuccess = () => resolve(req.result);
		req.onerror = () => reject(req.error);
	});
}

/** The journal in IndexedDB; falls back to memory when it cannot be opened (a private window). */
export function indexedDbJournal(): Journal {
	let opened: Promise<IDBDatabase | null> | null = null;
	const fallback = memoryJournal();
	const db = () =>
		(opened ??= new Promise((resolve) => {
			const open = indexedDB.open(DB, 1);
			open.onupgradeneeded = () => {
				open.result.createObjectStore(STORE, { keyPath: 'key' });
				open.result.createObjectStore(BATCHES);
			};
			open.onsuccess = () => resolve(open.result);
			open.onerror = () => resolve(null);
		}));
	async function store(mode: IDBTransactionMode, name = STORE): Promise<IDBObjectStore | null> {
		return (await db())?.transaction(name, mode).objectStore(name) ?? null;
	}
	return {
		async batch(owner) {
			const s = await store('readonly', BATCHES);
			if (!s) return fallback.batch(owner);
			return ((await request(s.get(owner))) as Batch | undefined) ?? null;
		},
		async saveBatch(owner, batch) {
			const s = await store('readwrite', BATCHES);
			if (!s) return fallback.saveBatch(owner, batch);
			await request(s.put(batch, owner));
		},
		async all(owner) {
			const s = await store('readonly');
			if (!s) return fallback.all(owner);
			return ((await request(s.getAll())) as Entry[]).filter((e) => e.owner === owner);
		},
		async put(entry) {
			const s = await store('readwrite');
			if (!s) return fallback.put(entry);
			const kept = entry.file && entry.size <= KEEP_FILES_UP_TO ? entry : { ...entry, file: undefined };
			try {
				await request(s.put(kept));
			} catch {
				// Out of quota, or a browser that cannot store a File: keep the identity only.
				await request((await store('readwrite'))!.put({ ...entry, file: undefined }));
			}
		},
		async remove(key) {
			const s = await store('readwrite');
			if (!s) return fallback.remove(key);
			await request(s.delete(key));
		}
	};
}
