// The workspace's collections (GET /collections, flat: `parent_id` draws the tree), shared by the
// side bar's tree, "Save this search" and the collection view: whoever changes one refreshes it.
import { writable } from 'svelte/store';
import { api, messageOf, type Schemas } from '$lib/api/client';

export type CollectionNode = Schemas['CollectionNode'];

export const collections = writable<{ items: CollectionNode[]; loaded: boolean; error: string | null }>({
	items: [],
	loaded: false,
	error: null
});

let asked: Promise<void> | null = null;

/** Read them once (the first caller asks; the others wait for the same answer). */
export function loadCollections(): Promise<void> {
	asked ??= refreshCollections();
	return asked;
}

/** Read them again, after a change. */
export async function refreshCollections(): Promise<void> {
	const { data, error, response } = await api.GET('/collections');
	if (data) collections.set({ items: data.items, loaded: true, error: null });
	else collections.update((s) => ({ ...s, loaded: true, error: messageOf(error, `Collections failed to load (${response.status}).`) }));
}
