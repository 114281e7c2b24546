// The workspace's metadata schema (GET /workspace/schema): the fields the viewer's form offers and
// the facets the library asks for. Read once per workspace; `refresh` after it changes.
import { writable } from 'svelte/store';
import { api, type Schemas } from '$lib/api/client';

export const schema = writable<Schemas['SchemaBody'] | null>(null);

let asked: Promise<void> | null = null;

export function loadSchema(): Promise<void> {
	asked ??= refresh();
	return asked;
}

export async function refresh(): Promise<void> {
	const { data } = await api.GET('/workspace/schema');
	schema.set(data ?? null);
}
