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
