// The one API client: openapi-fetch over the types generated from the service's own OpenAPI
// document (schema.d.ts, `make api-types`). The session cookie is HttpOnly; writes carry the
// session's CSRF token, every request the chosen workspace (as the old page does).
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema';

export type Schemas = components['schemas'];
export type Me = Schemas['Me'];
export type Hit = Schemas['Hit'];
export type Results = Schemas['Results'];
export type Suggestions = Schemas['Suggestions'];

/** What the client sends besides the cookie, and whom it tells when the session has ended. */
export const credentials: { csrf: string | null; workspace: string | null; onExpired: () => void } = {
	csrf: null,
	workspace: null,
	onExpired: () => {}
};

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const headers: Middleware = {
	onRequest({ request }) {
		if (WRITES.has(request.method) && credentials.csrf) request.headers.set('X-CSRF-Token', credentials.csrf);
		// A request that names its own workspace keeps it (the job dashboard re-runs an operator's
		// failures in their own workspaces).
		if (credentials.workspace && !request.headers.has('X-Workspace')) request.headers.set('X-Workspace', credentials.workspace);
		return request;
	},
	onResponse({ request, response }) {
		// A share link's 401 asks for its password: it says nothing of the session.
		const path = new URL(request.url).pathname;
		if (response.status === 401 && !path.startsWith('/auth/') && !path.startsWith('/shares/')) credentials.onExpired();
		return response;
	}
};

export const api = createClient<paths>({ baseUrl: '', credentials: 'same-origin' });
api.use(headers);

/** The message of an error answer (the API's `detail`), or a plain one. */
export function messageOf(error: unknown, fallback: string): string {
	if (error && typeof error === 'object' && 'detail' in error && typeof error.detail === 'string') return error.detail;
	return fallback;
}

/** One asset as `GET /assets/{id}` answers it, or null (gone, refused, or the service failed). */
export async function readAsset(id: string): Promise<Schemas['AssetOut'] | null> {
	const { data } = await api.GET('/assets/{asset_id}', { params: { path: { asset_id: id } } });
	return data ?? null;
}
