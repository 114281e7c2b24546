// Which admin screens a person may open. The API decides every request; this only keeps the app
// from showing a screen whose requests would all be refused (the routes' policies in src/dam/api:
// members, keys, settings and the schema need a workspace admin; the audit log and the job dashboard
// also open to operators, who see every workspace).
import type { Me } from '$lib/api/client';

export type Screen = 'members' | 'keys' | 'settings' | 'webhooks' | 'audit' | 'jobs';

export interface ScreenInfo {
	screen: Screen;
	label: string;
	about: string;
	operators: boolean; // open to operators who are not the workspace's admin
}

export const SCREENS: readonly ScreenInfo[] = [
	{ screen: 'members', label: 'Members', about: 'People, their roles and invitations.', operators: false },
	{ screen: 'keys', label: 'Keys', about: 'API keys and upload tokens.', operators: false },
	{ screen: 'settings', label: 'Settings', about: 'Share links and the metadata schema.', operators: false },
	{ screen: 'webhooks', label: 'Webhooks', about: 'Endpoints other systems learn of changes at.', operators: false },
	{ screen: 'audit', label: 'Audit log', about: 'Who did what, when.', operators: true },
	{ screen: 'jobs', label: 'Jobs', about: 'Queues, running and failed steps.', operators: true }
];

/** The screens `me` may open, in the navigation's order. */
export function screensFor(me: Me): ScreenInfo[] {
	const admin = me.kind === 'user' && me.workspace?.role === 'admin';
	const operator = me.kind === 'user' && me.operator;
	return SCREENS.filter((s) => admin || (operator && s.operators));
}

/** Whether the app shows `me` the Admin link. */
export function mayAdminister(me: Me): boolean {
	return screensFor(me).length > 0;
}

/** The screen a path under /app/admin/ names, or null for the index (or an unknown path). */
export function screenOf(path: string): Screen | null {
	const name = path.replace(/^\/app\/admin\/?/, '').split('/')[0];
	return SCREENS.find((s) => s.screen === name)?.screen ?? null;
}
