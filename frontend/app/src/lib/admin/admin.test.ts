import { describe, expect, it } from 'vitest';
import { bytes, duration, fieldNamed } from './words';
import { screenOf, screensFor } from './access';
import type { Me } from '$lib/api/client';

function me(role: Me['workspaces'][number]['role'] | null, operator = false): Me {
	const workspace = role ? { id: '1', name: 'W', slug: 'w', role } : null;
	return {
		csrf_token: 't',
		kind: 'user',
		operator,
		user: { id: 'u', email: 'a@b.c', operator },
		workspace,
		workspaces: workspace ? [workspace] : []
	};
}

describe('screensFor', () => {
	it('gives an admin every screen', () => {
		expect(screensFor(me('admin')).map((s) => s.screen)).toEqual(['members', 'keys', 'settings', 'webhooks', 'audit', 'jobs']);
	});
	it.each(['viewer', 'contributor', 'editor'] as const)('gives a %s none', (role) => {
		expect(screensFor(me(role))).toEqual([]);
	});
	it('gives an operator the audit log and the jobs, with or without a workspace', () => {
		expect(screensFor(me('viewer', true)).map((s) => s.screen)).toEqual(['audit', 'jobs']);
		expect(screensFor(me(null, true)).map((s) => s.screen)).toEqual(['audit', 'jobs']);
	});
});

describe('screenOf', () => {
	it.each([
		['/app/admin', null],
		['/app/admin/', null],
		['/app/admin/keys', 'keys'],
		['/app/admin/audit/', 'audit'],
		['/app/admin/nothing', null]
	])('%s is %s', (path, screen) => expect(screenOf(path)).toBe(screen));
});

describe('words', () => {
	it.each([
		[604800, '7 days'],
		[86400, '1 day'],
		[5400, '90 minutes'],
		[61, '61 seconds']
	])('duration(%i) is %s', (s, text) => expect(duration(s)).toBe(text));
	it.each([
		[512, '512 bytes'],
		[1536, '1.5 KiB'],
		[50 * 1024 * 1024, '50 MiB']
	])('bytes(%i) is %s', (n, text) => expect(bytes(n)).toBe(text));
	it('finds the schema field a message names', () => {
		expect(fieldNamed("fields[2].key: 'a b' must be 1 to 64 of A-Z a-z 0-9 _ . -")).toEqual({ index: 2, part: 'key' });
		expect(fieldNamed('fields[0].label: must be 1 to 200 characters')).toEqual({ index: 0, part: 'label' });
		expect(fieldNamed('fields[1].options: enum fields need a list of 1 to 100 options')).toEqual({ index: 1, part: 'options' });
		expect(fieldNamed("fields[3].options[1]: 'a' is listed twice")).toEqual({ index: 3, part: 'options' });
		expect(fieldNamed('fields: a schema has at most 200 fields, not 201')).toBeNull();
	});
});
