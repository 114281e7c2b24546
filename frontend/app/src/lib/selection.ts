// Which assets are selected for a bulk action: a click toggles one, a shift-click adds the range
// from the last one clicked (the anchor), as file managers do.

/** The ids from `from` to `to` (either order), inclusive. */
export function rangeOf<T extends { id: string }>(items: readonly T[], from: number, to: number): string[] {
	const [lo, hi] = from <= to ? [from, to] : [to, from];
	return items.slice(Math.max(lo, 0), hi + 1).map((item) => item.id);
}

/** The selection after a click on `index`: `extend` (shift) adds the anchor's range, otherwise
 * the one asset is toggled and becomes the anchor. */
export function clicked<T extends { id: string }>(
	items: readonly T[],
	selected: ReadonlySet<string>,
	anchor: number,
	index: number,
	extend: boolean
): { selected: Set<string>; anchor: number } {
	const next = new Set(selected);
	if (extend && anchor >= 0) {
		for (const id of rangeOf(items, anchor, index)) next.add(id);
		return { selected: next, anchor };
	}
	const id = items[index]?.id;
	if (id === undefined) return { selected: next, anchor };
	if (next.has(id)) next.delete(id);
	else next.add(id);
	return { selected: next, anchor: index };
}

/** `ids` in chunks the bulk route takes (at most 1,000 each). */
export function chunks<T>(ids: readonly T[], size = 1000): T[][] {
	const out: T[][] = [];
	for (let i = 0; i < ids.length; i += size) out.push(ids.slice(i, i + size));
	return out;
}
