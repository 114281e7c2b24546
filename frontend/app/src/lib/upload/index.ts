// The page's one uploader, and what it tells the rest of the app: `uploaded` holds the asset of each
// upload as it completes (processing follows), for the library to show it.
import { get, writable, type Readable } from 'svelte/store';
import { session } from '$lib/stores/session';
import { indexedDbJournal, memoryJournal } from './journal';
import { createUploader } from './queue';
import { http, type Asset } from './transport';

const finished = writable<Asset | null>(null);

/** The asset of the latest finished upload (each one in turn; null before the first). */
export const uploaded: Readable<Asset | null> = { subscribe: finished.subscribe };

function owner(): string {
	const now = get(session);
	if (now.state !== 'signed-in') return '';
	return `${now.me.user?.id ?? now.me.kind}|${now.me.workspace?.slug ?? ''}`;
}

export const uploader = createUploader({
	transport: http,
	journal: typeof indexedDB === 'undefined' ? memoryJournal() : indexedDbJournal(),
	owner,
	onUploaded: (asset) => finished.set(asset)
});

export type { Item, State, Uploads } from './queue';
