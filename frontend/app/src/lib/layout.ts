// The justified grid (as Immich and Google Photos lay out photos): every row is filled edge to
// edge, its height chosen so that the row's items, each at its own aspect ratio, fit the width.

export interface Box {
	index: number;
	left: number;
	top: number;
	width: number;
	height: number;
}

export interface Justified {
	boxes: Box[];
	height: number;
}

export interface Options {
	/** The height a row aims at; rows end up between about 0.8 and 1.6 times this. */
	rowHeight: number;
	/** Space between tiles, horizontally and vertically. */
	gap: number;
	/** A row never gets taller than this (one very narrow item alone in a row). */
	maxRowHeight?: number;
}

export const DEFAULT_RATIO = 4 / 3;

/** A usable aspect ratio (width / height): the item's own, else 4:3. */
export function ratioOf(width?: number | null, height?: number | null): number {
	if (!width || !height || width <= 0 || height <= 0) return DEFAULT_RATIO;
	return Math.min(Math.max(width / height, 0.25), 5);
}

/** Lay out items of the given aspect ratios in rows `width` wide. The last row keeps the aimed
 * height instead of being stretched to the edge. */
export function justify(ratios: readonly number[], width: number, options: Options): Justified {
	const { rowHeight, gap } = options;
	const maxRowHeight = options.maxRowHeight ?? rowHeight * 2;
	const boxes: Box[] = [];
	if (width <= 0 || ratios.length === 0) return { boxes, height: 0 };
	let top = 0;
	let row: number[] = [];
	let sum = 0;
	const place = (height: number) => {
		let left = 0;
		for (const index of row) {
			const w = ratios[index] * height;
			boxes.push({ index, left, top, width: w, height });
			left += w + gap;
		}
		top += height + gap;
		row = [];
		sum = 0;
	};
	ratios.forEach((ratio, index) => {
		const free = width - gap * row.length; // with this item in the row
		if ((sum + ratio) * rowHeight < free) {
			row.push(index);
			sum += ratio;
			return;
		}
		// The row is full: end it before or after this item, whichever height is nearer the aim.
		const withIt = free / (sum + ratio);
		const without = row.length ? (free + gap) / sum : Infinity;
		if (row.length && without / rowHeight < rowHeight / withIt && without <= maxRowHeight) {
			place(without);
			row.push(index);
			sum = ratio;
			if (ratio * rowHeight >= width) place(Math.min(width / ratio, maxRowHeight));
		} else {
			row.push(index);
			sum += ratio;
			place(Math.min(withIt, maxRowHeight));
		}
	});
	if (row.length) place(Math.min(rowHeight, maxRowHeight));
	return { boxes, height: Math.max(top - gap, 0) };
}

export interface Header {
	/** The group's key (e.g. its day) and what the page shows. */
	key: string;
	label: string;
	top: number;
	/** The index of the group's first item. */
	first: number;
}

export interface Sectioned extends Justified {
	headers: Header[];
}

/** Items in runs of the same group (days, in the list's order), each run under a header of
 * `headerHeight` and justified on its own. `groupOf` null: one run, no header. */
export function sectioned(
	ratios: readonly number[],
	groupOf: ((index: number) => { key: string; label: string }) | null,
	width: number,
	options: Options & { headerHeight: number }
): Sectioned {
	if (!groupOf) return { ...justify(ratios, width, options), headers: [] };
	const boxes: Box[] = [];
	const headers: Header[] = [];
	let top = 0;
	let start = 0;
	while (start < ratios.length && width > 0) {
		const group = groupOf(start);
		let end = start + 1;
		while (end < ratios.length && groupOf(end).key === group.key) end++;
		headers.push({ ...group, top, first: start });
		top += options.headerHeight;
		const run = justify(ratios.slice(start, end), width, options);
		for (const box of run.boxes) boxes.push({ ...box, index: box.index + start, top: box.top + top });
		top += run.height + options.gap * 4;
		start = end;
	}
	return { boxes, headers, height: Math.max(top - options.gap * 4, 0) };
}

/** The boxes (laid out top to bottom) that overlap [from, to): a binary search for the first, then
 * a walk to the last. */
export function within(boxes: readonly Box[], from: number, to: number): Box[] {
	let lo = 0;
	let hi = boxes.length;
	while (lo < hi) {
		const mid = (lo + hi) >> 1;
		if (boxes[mid].top + boxes[mid].height <= from) lo = mid + 1;
		else hi = mid;
	}
	const found: Box[] = [];
	for (let i = lo; i < boxes.length && boxes[i].top < to; i++) found.push(boxes[i]);
	return found;
}

/** The item to move to from `index` with an arrow key: left and right go by one, up and down to
 * the nearest box (by its centre) in the row above or below. */
export function neighbour(boxes: readonly Box[], index: number, key: string): number {
	const at = boxes.findIndex((b) => b.index === index);
	if (at < 0) return index;
	if (key === 'ArrowLeft') return boxes[Math.max(at - 1, 0)].index;
	if (key === 'ArrowRight') return boxes[Math.min(at + 1, boxes.length - 1)].index;
	const box = boxes[at];
	const centre = box.left + box.width / 2;
	const down = key === 'ArrowDown';
	let row: number | null = null;
	let best = index;
	let distance = Infinity;
	for (let i = down ? at + 1 : at - 1; i >= 0 && i < boxes.length; i += down ? 1 : -1) {
		const b = boxes[i];
		if (b.top === box.top) continue;
		if (row === null) row = b.top;
		else if (b.top !== row) break;
		const d = Math.abs(b.left + b.width / 2 - centre);
		if (d < distance) {
			distance = d;
			best = b.index;
		}
	}
	return best;
}
