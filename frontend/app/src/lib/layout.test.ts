import { describe, expect, it } from 'vitest';
import { DEFAULT_RATIO, justify, neighbour, ratioOf, sectioned, within } from './layout';

const OPTIONS = { rowHeight: 200, gap: 4 };

function rows(boxes: { top: number; index: number }[]): number[][] {
	const byTop = new Map<number, number[]>();
	for (const b of boxes) byTop.set(b.top, [...(byTop.get(b.top) ?? []), b.index]);
	return [...byTop.values()];
}

describe('justify', () => {
	it('fills every row but the last edge to edge', () => {
		const ratios = [1.5, 0.75, 1, 1.33, 2, 0.66, 1.5, 1, 1.77, 1.2];
		const { boxes } = justify(ratios, 1000, OPTIONS);
		const all = rows(boxes);
		for (const row of all.slice(0, -1)) {
			const last = boxes[row[row.length - 1]];
			expect(last.left + last.width).toBeCloseTo(1000, 6);
		}
		expect(boxes.map((b) => b.index)).toEqual(ratios.map((_, i) => i));
	});

	it('keeps each tile at its aspect ratio and a row at one height', () => {
		const ratios = [1.5, 0.75, 1, 1.33, 2, 0.66];
		const { boxes } = justify(ratios, 800, OPTIONS);
		for (const b of boxes) expect(b.width / b.height).toBeCloseTo(ratios[b.index], 6);
		for (const row of rows(boxes)) expect(new Set(row.map((i) => boxes[i].height)).size).toBe(1);
	});

	it('leaves the last row at the aimed height instead of stretching it', () => {
		const { boxes, height } = justify([1, 1, 1, 1, 1, 1, 1], 1000, OPTIONS);
		const last = boxes[boxes.length - 1];
		expect(last.height).toBe(200);
		expect(last.left + last.width).toBeLessThan(1000);
		expect(height).toBeCloseTo(last.top + last.height, 6);
	});

	it('keeps rows near the aimed height', () => {
		const ratios = Array.from({ length: 200 }, (_, i) => [0.66, 1.33, 1.5, 1, 2.4][i % 5]);
		const { boxes } = justify(ratios, 1200, OPTIONS);
		for (const b of boxes) {
			expect(b.height).toBeGreaterThan(200 * 0.6);
			expect(b.height).toBeLessThanOrEqual(400);
		}
	});

	it('puts gaps between tiles and rows', () => {
		const { boxes } = justify([1, 1, 1, 1, 1, 1, 1, 1], 600, OPTIONS);
		const [first, second] = boxes;
		expect(second.left).toBeCloseTo(first.left + first.width + 4, 6);
		const below = boxes.find((b) => b.top > 0)!;
		expect(below.top).toBeCloseTo(first.height + 4, 6);
	});

	it('lays out nothing without items or width', () => {
		expect(justify([], 1000, OPTIONS)).toEqual({ boxes: [], height: 0 });
		expect(justify([1, 2], 0, OPTIONS)).toEqual({ boxes: [], height: 0 });
	});

	it('gives a panorama wider than the row a row of its own, no taller than the width allows', () => {
		const { boxes } = justify([1, 8, 1], 1000, { rowHeight: 200, gap: 4, maxRowHeight: 400 });
		expect(boxes[1].width).toBeLessThanOrEqual(1000 + 1e-6);
	});
});

describe('ratioOf', () => {
	it.each([
		[1600, 1200, 4 / 3],
		[null, null, DEFAULT_RATIO],
		[0, 100, DEFAULT_RATIO],
		[10000, 10, 5]
	])('%s x %s is %s', (w, h, expected) => {
		expect(ratioOf(w, h)).toBeCloseTo(expected, 6);
	});
});

describe('sectioned', () => {
	const ratios = [1, 1, 1, 1, 1, 1];
	const days = ['d1', 'd1', 'd1', 'd2', 'd2', 'd3'];
	const groupOf = (i: number) => ({ key: days[i], label: `Day ${days[i]}` });

	it('puts each run of a group under its own header, rows never mixing groups', () => {
		const laid = sectioned(ratios, groupOf, 1000, { rowHeight: 200, gap: 4, headerHeight: 40 });
		expect(laid.headers.map((h) => [h.key, h.first])).toEqual([['d1', 0], ['d2', 3], ['d3', 5]]);
		expect(laid.headers[0].top).toBe(0);
		const byIndex = new Map(laid.boxes.map((b) => [b.index, b]));
		for (const header of laid.headers) expect(byIndex.get(header.first)!.top).toBe(header.top + 40);
		expect(byIndex.get(3)!.top).toBeGreaterThan(byIndex.get(2)!.top + byIndex.get(2)!.height);
		expect(laid.boxes.map((b) => b.index)).toEqual([0, 1, 2, 3, 4, 5]);
		expect(laid.height).toBeGreaterThanOrEqual(laid.headers[2].top + 40 + 200);
	});

	it('without groups is the plain justified grid', () => {
		const plain = justify(ratios, 1000, { rowHeight: 200, gap: 4 });
		expect(sectioned(ratios, null, 1000, { rowHeight: 200, gap: 4, headerHeight: 40 })).toEqual({ ...plain, headers: [] });
	});
});

describe('within and neighbour', () => {
	const laid = justify(Array(40).fill(1.5), 1000, { rowHeight: 200, gap: 4 });

	it('finds only the boxes overlapping a band, however many there are', () => {
		const shown = within(laid.boxes, 500, 900);
		expect(shown.length).toBeGreaterThan(0);
		for (const b of shown) expect(b.top < 900 && b.top + b.height > 500).toBe(true);
		const rest = laid.boxes.filter((b) => !shown.includes(b));
		for (const b of rest) expect(b.top >= 900 || b.top + b.height <= 500).toBe(true);
		expect(within(laid.boxes, 1e9, 1e9 + 10)).toEqual([]);
	});

	it('moves by one sideways and to the nearest tile up and down', () => {
		const perRow = laid.boxes.filter((b) => b.top === 0).length;
		expect(neighbour(laid.boxes, 0, 'ArrowLeft')).toBe(0);
		expect(neighbour(laid.boxes, 0, 'ArrowRight')).toBe(1);
		expect(neighbour(laid.boxes, 1, 'ArrowDown')).toBe(1 + perRow);
		expect(neighbour(laid.boxes, 1 + perRow, 'ArrowUp')).toBe(1);
		expect(neighbour(laid.boxes, 39, 'ArrowDown')).toBe(39);
	});
});
