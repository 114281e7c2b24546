// The API's closed vocabularies as lists the screens offer, checked against the generated types:
// a value the API adds and these lists lack fails `npm run check` (the `Exhaustive` lines).
import type { Schemas } from '$lib/api/client';

export type Role = Schemas['Role'];
export type Action = Schemas['Action'];
export type FieldType = Schemas['FieldBody']['type'];

type Exhaustive<All, Listed> = [Exclude<All, Listed>] extends [never] ? true : Exclude<All, Listed>;

/** Narrowest first, as the API ranks them. */
export const ROLES = ['viewer', 'contributor', 'editor', 'admin'] as const satisfies readonly Role[];
true satisfies Exhaustive<Role, (typeof ROLES)[number]>;

export const FIELD_TYPES = ['text', 'number', 'date', 'enum', 'multi_enum', 'bool'] as const satisfies readonly FieldType[];
true satisfies Exhaustive<FieldType, (typeof FIELD_TYPES)[number]>;

export const ACTIONS = [
	'auth.login',
	'identity.link',
	'asset.create',
	'asset.complete',
	'asset.update',
	'asset.trash',
	'asset.restore',
	'asset.delete',
	'asset.reprocess',
	'collection.create',
	'collection.update',
	'collection.delete',
	'collection.assets.add',
	'collection.assets.move',
	'collection.assets.remove',
	'tag.rename',
	'tag.delete',
	'share.create',
	'share.revoke',
	'share.use',
	'member.add',
	'member.role',
	'member.remove',
	'invitation.create',
	'invitation.accept',
	'invitation.revoke',
	'key.create',
	'key.revoke',
	'upload_token.create',
	'upload_token.revoke',
	'workspace.schema'
] as const satisfies readonly Action[];
true satisfies Exhaustive<Action, (typeof ACTIONS)[number]>;

export function isAction(value: string | null): value is Action {
	return (ACTIONS as readonly string[]).includes(value ?? '');
}

/** A time as the person's locale writes it (date and minutes). */
export function when(iso: string | null | undefined): string {
	if (!iso) return '';
	const date = new Date(iso);
	return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

const UNITS: [number, string][] = [
	[86400, 'day'],
	[3600, 'hour'],
	[60, 'minute'],
	[1, 'second']
];

/** Seconds in the largest unit that divides them ("7 days", "90 minutes"). */
export function duration(seconds: number): string {
	const [size, unit] = UNITS.find(([size]) => seconds >= size && seconds % size === 0) ?? [1, 'second'];
	const n = seconds / size;
	return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

/** Bytes in binary units ("1.5 MiB"). */
export function bytes(n: number): string {
	const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
	let i = 0;
	while (n >= 1024 && i < units.length - 1) {
		n /= 1024;
		i++;
	}
	return i === 0 ? `${n} bytes` : `${n.toFixed(n < 10 ? 1 : 0)} ${units[i]}`;
}

/** The schema field a 422 message names (`fields[2].key: ...`) and which of its parts, or null. */
export function fieldNamed(message: string): { index: number; part: 'key' | 'label' | 'options' } | null {
	const found = /^fields\[(\d+)\](?:\.(key|label))?/.exec(message);
	if (!found) return null;
	return { index: Number(found[1]), part: (found[2] as 'key' | 'label' | undefined) ?? 'options' };
}

/** The event types a webhook endpoint may take (POST /webhooks). */
export const WEBHOOK_EVENTS = [
	'asset.created',
	'asset.uploaded',
	'asset.ready',
	'asset.failed',
	'asset.updated',
	'asset.version_ready',
	'asset.trashed',
	'asset.restored',
	'asset.purged',
	'stream.ready',
	'share.created',
	'share.revoked',
	'collection.changed',
	'enrichment.done'
] as const;
