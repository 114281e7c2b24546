// Who is signed in. The session itself is the API's HttpOnly cookie; this keeps what
// `/auth/session` and `/auth/login` answer (the CSRF token the client sends with writes) and the
// workspace chosen (sent as `X-Workspace`).
import { writable } from 'svelte/store';
import { api, credentials, messageOf, type Me, type Schemas } from '$lib/api/client';
import { refresh as refreshSchema } from '$lib/stores/schema';

export type Session =
	| { state: 'unknown' }
	| { state: 'signed-out'; message: string | null }
	| { state: 'signed-in'; me: Me };

const WORKSPACE = 'dam.workspace'; // the old page's key: both pages act in the same workspace
export const ENDED = 'Your session has ended: sign in again.';

export const session = writable<Session>({ state: 'unknown' });

function signedIn(me: Me): void {
	credentials.csrf = me.csrf_token ?? null;
	session.set({ state: 'signed-in', me });
}

function signedOut(message: string | null): void {
	credentials.csrf = null;
	session.set({ state: 'signed-out', message });
}

function remember(workspace: string | null): void {
	credentials.workspace = workspace;
	if (workspace) localStorage.setItem(WORKSPACE, workspace);
	else localStorage.removeItem(WORKSPACE);
}

credentials.workspace = globalThis.localStorage?.getItem(WORKSPACE) ?? null;
credentials.onExpired = () => signedOut(ENDED);

async function current(): Promise<Me | null> {
	const { data, error, response } = await api.GET('/auth/session');
	if (!data) throw new Error(messageOf(error, `The service did not answer (${response.status}).`));
	return data.me;
}

let restoring: Promise<void> | null = null;

/** Find out whether the browser's cookie still names a session: a 200 either way (`me` null when
 * not), so a page that nobody signed in to logs no failed request. */
export function restore(): Promise<void> {
	restoring ??= (async () => {
		let me = await current();
		if (!me && credentials.workspace) {
			// The remembered workspace may be one the person no longer belongs to.
			remember(null);
			me = await current();
		}
		if (me) signedIn(me);
		else signedOut(null);
	})()
		.catch((error) => signedOut(String(error instanceof Error ? error.message : error)))
		.finally(() => (restoring = null));
	return restoring;
}

/** The session once it is known (whoever asked): the library's `load` waits for it to start the
 * first page early. */
export function known(): Promise<Session> {
	return new Promise((resolve) => {
		let stop = () => {};
		stop = session.subscribe((value) => {
			if (value.state === 'unknown') return;
			resolve(value);
			queueMicrotask(() => stop());
		});
	});
}

/** Act in another of the person's workspaces from now on (its role, its library, its schema). */
export async function switchWorkspace(workspace: Schemas['WorkspaceRole']): Promise<void> {
	const before = credentials.workspace;
	remember(workspace.slug);
	const me = await current().catch(() => null);
	if (!me) {
		remember(before);
		return;
	}
	signedIn(me);
	await refreshSchema();
}

/** Sign in with a password; the message says why not. */
export async function signIn(email: string, password: string): Promise<string | null> {
	const { data, error, response } = await api.POST('/auth/login', { body: { email, password } });
	if (data) {
		signedIn(data);
		const chosen = credentials.workspace;
		if (chosen && data.workspace?.slug !== chosen && data.workspace?.id !== chosen) {
			// Signing in answers for the first workspace: ask again in the one this browser chose.
			const me = await current().catch(() => null);
			if (me) signedIn(me);
			else remember(null);
		}
		return null;
	}
	if (response.status === 401) return 'Wrong email or password.';
	if (response.status === 429) return 'Too many attempts: wait a minute and try again.';
	return messageOf(error, `Signing in failed (${response.status}).`);
}

/** How else one may sign in here (the single sign-on provider, if configured). */
export async function providers(): Promise<Schemas['Providers'] | null> {
	const { data } = await api.GET('/auth/providers');
	return data ?? null;
}

export async function signOut(): Promise<void> {
	await api.POST('/auth/logout').catch(() => null);
	signedOut('Signed out.');
}
