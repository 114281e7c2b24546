// Collections as the app draws and changes them: the tree from GET /collections' flat list, where
// a collection may move to (never below itself), where a member goes when it is dragged or moved
// with the keyboard (the `before` of POST /collections/{id}/assets/move), and a search saved as a
// smart collection's query string. Pure functions: the components call the API.

/** What a drag of assets carries: a JSON array of asset ids. */
export const ASSETS = 'application/x-dam-assets';
/** What a drag of a collection carries: its id. */
export const COLLECTION = 'application/x-dam-collection';

export interface Flat {
	id: string;
	name: string;
	parent_id: string | null;
	/** Null for a smart collection (its members are a search). */
	asset_count: number | null;
}

export interface TreeNode<T extends Flat = Flat> {
	item: T;
	children: TreeNode<T>[];
}

const byName = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** The tree of a flat list, siblings by name. A collection whose parent is not in the list (or,
 * should the data ever hold one, a cycle) is drawn at the top rather than lost. */
export function treeOf<T extends Flat>(items: T[]): TreeNode<T>[] {
	const ids = new Set(items.map((i) => i.id));
	const below = new Map<string | null, T[]>();
	for (const item of items) {
		const parent = item.parent_id !== null && ids.has(item.parent_id) ? item.parent_id : null;
		below.set(parent, [...(below.get(parent) ?? []), item]);
	}
	const placed = new Set<string>(); // each drawn once, so that a cycle cannot recurse forever
	const grow = (parent: string | null): TreeNode<T>[] =>
		(below.get(parent) ?? [])
			.filter((item) => !placed.has(item.id) && placed.add(item.id))
			.sort((a, b) => byName.compare(a.name, b.name))
			.map((item) => ({ item, children: grow(item.id) }));
	const roots = grow(null);
	// Only a cycle leaves any undrawn: its first member starts a branch at the top.
	for (const item of items) {
		if (placed.has(item.id)) continue;
		placed.add(item.id);
		roots.push({ item, children: grow(item.id) });
	}
	return roots;
}

/** The ids of every collection below `id` (not `id` itself). */
export function descendantsOf(items: Flat[], id: string): Set<string> {
	const found = new Set<string>();
	let frontier = [id];
	while (frontier.length) {
		const next: string[] = [];
		for (const item of items) {
			if (item.parent_id !== null && frontier.includes(item.parent_id) && !found.has(item.id) && item.id !== id) {
				found.add(item.id);
				next.push(item.id);
			}
		}
		frontier = next;
	}
	return found;
}

/** Can `id` move below `parent` (null: the top)? Not below itself or one of its own, and not
 * where it already is. */
export function canMove(items: Flat[], id: string, parent: string | null): boolean {
	const item = items.find((i) => i.id === id);
	if (!item || item.parent_id === parent) return false;
	if (parent === null) return true;
	return parent !== id && items.some((i) => i.id === parent) && !descendantsOf(items, id).has(parent);
}

/** The names from the top down to `id`, joined: "Trips / Lisbon 2026". */
export function pathOf(items: Flat[], id: string): string {
	const byId = new Map(items.map((i) => [i.id, i]));
	const names: string[] = [];
	const seen = new Set<string>();
	for (let at = byId.get(id); at && !seen.has(at.id); at = at.parent_id ? byId.get(at.parent_id) : undefined) {
		seen.add(at.id);
		names.unshift(at.name);
	}
	return names.join(' / ');
}

/** The collections above `id`, nearest first. */
export function ancestorsOf(items: Flat[], id: string): string[] {
	const byId = new Map(items.map((i) => [i.id, i]));
	const found: string[] = [];
	for (let at = byId.get(id)?.parent_id; at && !found.includes(at); at = byId.get(at)?.parent_id) found.push(at);
	return found;
}

/** Every collection as an option of a parent menu, in the tree's order, named by its path. */
export function optionsOf(items: Flat[]): { id: string; label: string }[] {
	const out: { id: string; label: string }[] = [];
	const walk = (nodes: TreeNode[]) => {
		for (const node of nodes) {
			out.push({ id: node.item.id, label: pathOf(items, node.item.id) });
			walk(node.children);
		}
	};
	walk(treeOf(items));
	return out;
}

/** The list with the members `ids` (in that order) moved just before `before` (null: to the end),
 * as POST /collections/{id}/assets/move moves them; ids that are not in the list are left alone. */
export function reorder<T extends { id: string }>(items: T[], ids: string[], before: string | null): T[] {
	const moving = new Set(ids);
	const picked = ids.map((id) => items.find((i) => i.id === id)).filter((i): i is T => i !== undefined);
	const rest = items.filter((i) => !moving.has(i.id));
	const at = before === null ? rest.length : rest.findIndex((i) => i.id === before);
	if (at < 0) return items; // `before` is one of those moving, or unknown: nothing to do
	return [...rest.slice(0, at), ...picked, ...rest.slice(at)];
}

/** Where a member dropped on `target` goes (just after it when `after`): the `before` of the move,
 * or undefined when the order would not change. */
export function dropBefore(ids: string[], moving: string, target: string, after: boolean): string | null | undefined {
	const at = ids.indexOf(target);
	if (at < 0 || !ids.includes(moving) || target === moving) return undefined;
	const before = after ? (ids[at + 1] ?? null) : target;
	if (before === moving) return undefined;
	const from = ids.indexOf(moving);
	if ((before === null && from === ids.length - 1) || ids[from + 1] === before) return undefined;
	return before;
}

/** The `before` that moves `moving` one place (step -1: earlier, +1: later), or undefined at an
 * end. */
export function stepBefore(ids: string[], moving: string, step: -1 | 1): string | null | undefined {
	const from = ids.indexOf(moving);
	if (from < 0) return undefined;
	if (step < 0) return from > 0 ? ids[from - 1] : undefined;
	if (from >= ids.length - 1) return undefined;
	return ids[from + 2] ?? null;
}

/** A search of the library (lib/query.ts `searchOf`) as a smart collection's query string of
 * GET /search: repeatable parameters repeated, no paging or facets. */
export function queryStringOf(query: Record<string, unknown>): string {
	const params = new URLSearchParams();
	for (const [name, value] of Object.entries(query)) {
		if (['cursor', 'limit', 'facets', 'view'].includes(name) || value === undefined || value === null || value === '') continue;
		for (const one of Array.isArray(value) ? value : [value]) params.append(name, String(one));
	}
	return params.toString();
}

/** The asset ids a drag carries, or null when it carries none (or something else). */
export function assetsIn(data: string): string[] | null {
	try {
		const ids: unknown = JSON.parse(data);
		if (Array.isArray(ids) && ids.length && ids.every((id) => typeof id === 'string')) return ids;
	} catch {
		// not ours
	}
	return null;
}
