import { describe, expect, it } from 'vitest';
import type { Hit, Schemas } from '$lib/api/client';
import { round } from './inflight';

const hit = (id: string, status: string): Hit =>
	({ id, status, title: null, tags: [], kind: null, width: null, height: null, thumbnail_url: null, thumbhash: null,
		filename: `${id}.jpg`, content_type: 'image/jpeg', created_at: '2026-12-07T00:00:00Z', size: 1, matched: [], score: null }) as unknown as Hit;

const ready = (id: string) =>
	({ id, status: 'ready', title: 'T', tags: ['x'], media: { kind: 'image', width: 40, height: 30 }, thumbhash: 'AAAA',
		renditions: [{ kind: 'thumbnail', url: `https://s/${id}.webp` }] }) as unknown as Schemas['AssetOut'];

describe('in-flight tiles', () => {
	it('reads only the assets being processed and patches those that changed', async () => {
		const items = [hit('a', 'ready'), hit('b', 'processing'), hit('c', 'uploaded')];
		const read: string[] = [];
		let patched = new Map<string, Hit>();
		const moved = await round({
			items: () => items,
			read: async (id) => {
				read.push(id);
				return id === 'b' ? ready('b') : { ...ready('c'), status: 'uploaded', renditions: [] } as unknown as Schemas['AssetOut'];
			},
			patch: (changed) => (patched = changed)
		});
		expect(read).toEqual(['b', 'c']);
		expect(moved).toBe(true);
		expect([...patched.keys()]).toEqual(['b']);
		expect(patched.get('b')).toMatchObject({ status: 'ready', thumbnail_url: 'https://s/b.webp', width: 40, thumbhash: 'AAAA', tags: ['x'] });
	});

	it('does nothing when nothing is in flight, and survives a failed read', async () => {
		let calls = 0;
		const quiet = await round({ items: () => [hit('a', 'ready')], read: async () => (calls++, null), patch: () => {} });
		expect([quiet, calls]).toEqual([false, 0]);
		const failed = await round({ items: () => [hit('b', 'processing')], read: () => Promise.reject(new Error('down')), patch: () => {} });
		expect(failed).toBe(false);
	});
});
