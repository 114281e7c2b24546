import { describe, expect, it } from 'vitest';
import { chunks, clicked, rangeOf } from './selection';

const items = ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id }));

describe('selection', () => {
	it('toggles one asset and makes it the anchor', () => {
		let state = clicked(items, new Set(), -1, 1, false);
		expect([...state.selected]).toEqual(['b']);
		expect(state.anchor).toBe(1);
		state = clicked(items, state.selected, state.anchor, 1, false);
		expect([...state.selected]).toEqual([]);
	});

	it('adds the range from the anchor on shift, in either direction', () => {
		const first = clicked(items, new Set(), -1, 3, false);
		const down = clicked(items, first.selected, first.anchor, 1, true);
		expect([...down.selected].sort()).toEqual(['b', 'c', 'd']);
		expect(down.anchor).toBe(3);
		expect(rangeOf(items, 0, 2)).toEqual(['a', 'b', 'c']);
		// Without an anchor, shift selects the one asset.
		expect([...clicked(items, new Set(), -1, 4, true).selected]).toEqual(['e']);
	});

	it('splits ids into the bulk route chunks', () => {
		expect(chunks([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
		expect(chunks([], 2)).toEqual([]);
	});
});
