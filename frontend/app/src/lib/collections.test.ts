import { describe, expect, it } from 'vitest';
import {
	ancestorsOf,
	assetsIn,
	canMove,
	descendantsOf,
	dropBefore,
	optionsOf,
	pathOf,
	queryStringOf,
	reorder,
	stepBefore,
	treeOf,
	type Flat,
	type TreeNode
} from './collections';

const c = (id: string, parent_id: string | null = null, name = id): Flat => ({ id, name, parent_id, asset_count: 0 });

// trips ─ lisbon ─ day1
//       └ porto
// work
const ITEMS = [c('work', null, 'Work'), c('lisbon', 'trips', 'Lisbon'), c('trips', null, 'Trips'), c('day1', 'lisbon', 'Day 1'), c('porto', 'trips', 'Porto')];

const shape = (nodes: TreeNode[]): unknown => nodes.map((n) => (n.children.length ? [n.item.id, shape(n.children)] : n.item.id));

describe('the tree of a flat list', () => {
	it('nests children under their parents, siblings by name', () => {
		expect(shape(treeOf(ITEMS))).toEqual([['trips', [['lisbon', ['day1']], 'porto']], 'work']);
	});

	it('orders names as people read numbers', () => {
		const items = [c('b', null, 'Day 10'), c('a', null, 'Day 9'), c('x', null, 'day 1')];
		expect(shape(treeOf(items))).toEqual(['x', 'a', 'b']);
	});

	it('draws a collection whose parent is unknown at the top', () => {
		expect(shape(treeOf([c('orphan', 'gone'), c('top')]))).toEqual(['orphan', 'top']);
	});

	it('draws every member of a cycle once and stops', () => {
		const tree = treeOf([c('a', 'b'), c('b', 'a'), c('top')]);
		expect(shape(tree)).toEqual(['top', ['a', ['b']]]);
	});

	it('names a collection by its path and lists its ancestors', () => {
		expect(pathOf(ITEMS, 'day1')).toBe('Trips / Lisbon / Day 1');
		expect(ancestorsOf(ITEMS, 'day1')).toEqual(['lisbon', 'trips']);
		expect(ancestorsOf(ITEMS, 'work')).toEqual([]);
		expect(optionsOf(ITEMS).map((o) => o.label)).toEqual(['Trips', 'Trips / Lisbon', 'Trips / Lisbon / Day 1', 'Trips / Porto', 'Work']);
	});
});

describe('moving a collection', () => {
	it('finds every collection below one', () => {
		expect([...descendantsOf(ITEMS, 'trips')].sort()).toEqual(['day1', 'lisbon', 'porto']);
		expect(descendantsOf(ITEMS, 'porto').size).toBe(0);
	});

	it.each([
		['below a sibling', 'porto', 'lisbon', true],
		['to the top', 'lisbon', null, true],
		['below another branch', 'trips', 'work', true],
		['below itself', 'trips', 'trips', false],
		['below its own child', 'trips', 'lisbon', false],
		['below its own grandchild', 'trips', 'day1', false],
		['where it already is', 'lisbon', 'trips', false],
		['to the top when it is there', 'work', null, false],
		['below an unknown one', 'work', 'nowhere', false]
	])('%s', (_, id, parent, allowed) => {
		expect(canMove(ITEMS, id as string, parent as string | null)).toBe(allowed);
	});
});

describe("a collection's order", () => {
	const items = ['a', 'b', 'c', 'd'].map((id) => ({ id }));
	const ids = (list: { id: string }[]) => list.map((i) => i.id).join('');

	it('moves members before another, or to the end, as the API does', () => {
		expect(ids(reorder(items, ['d'], 'a'))).toBe('dabc');
		expect(ids(reorder(items, ['a'], null))).toBe('bcda');
		expect(ids(reorder(items, ['d', 'b'], 'a'))).toBe('dbac');
		expect(ids(reorder(items, ['b'], 'b'))).toBe('abcd');
		expect(ids(reorder(items, ['x'], 'a'))).toBe('abcd');
	});

	it('turns a drop on a tile into the move before it or after it', () => {
		const order = ['a', 'b', 'c', 'd'];
		expect(dropBefore(order, 'd', 'b', false)).toBe('b');
		expect(dropBefore(order, 'a', 'c', true)).toBe('d');
		expect(dropBefore(order, 'a', 'd', true)).toBe(null);
		expect(dropBefore(order, 'b', 'c', false)).toBeUndefined(); // already just before c
		expect(dropBefore(order, 'c', 'b', true)).toBeUndefined(); // already just after b
		expect(dropBefore(order, 'd', 'd', true)).toBeUndefined();
		expect(dropBefore(order, 'd', 'd', false)).toBeUndefined();
		expect(dropBefore(order, 'x', 'a', false)).toBeUndefined();
	});

	it('moves one place with the keyboard, and not past an end', () => {
		const order = ['a', 'b', 'c'];
		expect(stepBefore(order, 'b', -1)).toBe('a');
		expect(stepBefore(order, 'a', 1)).toBe('c');
		expect(stepBefore(order, 'b', 1)).toBe(null);
		expect(stepBefore(order, 'a', -1)).toBeUndefined();
		expect(stepBefore(order, 'c', 1)).toBeUndefined();
		for (const [id, step] of [['b', -1], ['a', 1], ['b', 1]] as const) {
			const before = stepBefore(order, id, step);
			const moved = reorder(order.map((x) => ({ id: x })), [id], before ?? null).map((i) => i.id);
			expect(moved.indexOf(id)).toBe(order.indexOf(id) + step);
		}
	});
});

describe('a search saved as a smart collection', () => {
	it("writes GET /search's parameters, repeating the repeatable ones", () => {
		expect(queryStringOf({ q: 'lisbon tram', type: ['image', 'video'], sort: 'oldest' })).toBe('q=lisbon+tram&type=image&type=video&sort=oldest');
	});

	it('leaves out paging, facets and the open asset', () => {
		expect(queryStringOf({ tag: ['red'], cursor: 'x', limit: 100, facets: 'type', view: 'id', q: '' })).toBe('tag=red');
	});
});

describe('what a drag carries', () => {
	it('reads a JSON list of asset ids and nothing else', () => {
		expect(assetsIn('["a","b"]')).toEqual(['a', 'b']);
		expect(assetsIn('[]')).toBeNull();
		expect(assetsIn('[1]')).toBeNull();
		expect(assetsIn('https://example.com/')).toBeNull();
	});
});
