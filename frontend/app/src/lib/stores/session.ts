// Who is signed in. The session itself is the API's HttpOnly cookie; this keeps what `/auth/me`
// and `/auth/login` answer (the CSRF token the client sends with writes) and the workspace chosen.
import { writable } from 'svelte/store';
import { api, credentials, messageOf, type Me } from '$lib/api/client';

export type Session =
	| { state: 'unknown' }
	| { state: 'signed-out'; message: string | null }
	| { state: 'signed-in'; me: Me };

const WORKSPACE = 'dam.workspace'; // the old page's key: both pages act in the same workspace

export const session = writable<Session>({ state: 'unknown' });

function signedIn(me: Me): void {
	credentials.csrf = me.csrf_token ?? null;
	session.set({ state: 'signed-in', me });
}

function signedOut(message: string | null): void {
	credentials.csrf = null;
	session.set({ state: 'signed-out', message });
}

credentials.workspace = globalThis.localStorage?.getItem(WORKSPACE) ?? null;
credentials.onExpired = () => signedOut('Your session has ended: sign in again.');

let restoring: Promise<void> | null = null;

/** Find out whether the browser's cookie still names a session (asked once per page load: the root
 * layout's `load` asks as the app starts, before its components are loaded, and later callers get
 * the same answer). */
export function restore(): Promise<void> {
	restoring ??= ask();
	return restoring;
}

async function ask(): Promise<void> {
	const { data } = await api.GET('/auth/me');
	if (data) return signedIn(data);
	if (credentials.workspace) {
		// The remembered workspace may be one the person no longer belongs to.
		credentials.workspace = null;
		localStorage.removeItem(WORKSPACE);
		const again = await api.GET('/auth/me');
		if (again.data) return signedIn(again.data);
	}
	signedOut(null);
}

/** Sign in with a password; the message says why not. */
export async function signIn(email: string, password: string): Promise<string | null> {
	const { data, error, response } = await api.POST('/auth/login', { body: { email, password } });
	if (data) {
		signedIn(data);
		return null;
	}
	if (response.status === 401) return 'Wrong email or password.';
	if (response.status === 429) return 'Too many attempts: wait a minute and try again.';
	return messageOf(error, `Signing in failed (${response.status}).`);
}

export async function signOut(): Promise<void> {
	await api.POST('/auth/logout').catch(() => null);
	signedOut('Signed out.');
}
