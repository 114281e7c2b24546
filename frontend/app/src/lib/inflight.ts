// Assets still being processed change under the grid: only those are polled (a few at a time,
// less often the longer nothing changes), and each answer patches its tile in place, so the grid is
// never rebuilt: scroll, focus and selection stay where they are.
import type { Hit, Schemas } from '$lib/api/client';

export const IN_FLIGHT = new Set<string>(['uploaded', 'processing']);

/** A tile for an asset the grid has not loaded (one just uploaded). */
export function hitOf(asset: Schemas['AssetOut']): Hit {
	const thumbnail = asset.renditions.find((r) => r.kind === 'thumbnail');
	return {
		id: asset.id,
		status: asset.status,
		filename: asset.filename,
		content_type: asset.content_type,
		size: asset.stored_size ?? asset.size,
		kind: asset.media?.kind ?? null,
		thumbnail_url: thumbnail?.url ?? null,
		thumbhash: asset.thumbhash ?? null,
		created_at: asset.created_at,
		width: asset.media?.width ?? null,
		height: asset.media?.height ?? null,
		title: asset.title,
		tags: asset.tags,
		score: null,
		matched: []
	};
}

/** A loaded tile brought up to date from its asset's answer (what a processed asset changes; a
 * missing thumbnail or measurement keeps what the tile had). */
export function tileOf(item: Hit, asset: Schemas['AssetOut']): Hit {
	const fresh = hitOf(asset);
	return {
		...item,
		status: fresh.status,
		title: fresh.title,
		tags: fresh.tags,
		kind: fresh.kind ?? item.kind,
		width: fresh.width ?? item.width,
		height: fresh.height ?? item.height,
		thumbnail_url: fresh.thumbnail_url ?? item.thumbnail_url,
		thumbhash: fresh.thumbhash ?? item.thumbhash
	};
}

export interface Watch {
	/** The loaded items now. */
	items: () => readonly Hit[];
	/** Read one asset (null: gone or refused). */
	read: (id: string) => Promise<Schemas['AssetOut'] | null>;
	/** Put the changed tiles in place. */
	patch: (changed: Map<string, Hit>) => void;
	/** First and longest wait between rounds, ms. */
	every?: number;
	longest?: number;
	/** At most this many assets per round. */
	batch?: number;
	/** Whether to poll now (e.g. the page is visible). */
	active?: () => boolean;
	/** The timer (tests pass their own). */
	wait?: (ms: number) => Promise<void>;
}

/** One round: the in-flight items read, the changed ones patched; whether any changed. */
export async function round(watch: Watch): Promise<boolean> {
	const flying = watch.items().filter((i) => IN_FLIGHT.has(i.status)).slice(0, watch.batch ?? 24);
	if (!flying.length) return false;
	const answers = await Promise.all(flying.map((item) => watch.read(item.id).catch(() => null)));
	const changed = new Map<string, Hit>();
	flying.forEach((item, i) => {
		const asset = answers[i];
		if (!asset) return;
		const next = tileOf(item, asset);
		if (next.status !== item.status || next.thumbnail_url !== item.thumbnail_url) changed.set(item.id, next);
	});
	if (changed.size) watch.patch(changed);
	return changed.size > 0;
}

/** Poll until `stop` is called: every `every` ms while things change, backing off to `longest`. */
export function poll(watch: Watch): () => void {
	let stopped = false;
	const every = watch.every ?? 2000;
	const longest = watch.longest ?? 15000;
	const wait = watch.wait ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
	(async () => {
		let delay = every;
		while (!stopped) {
			await wait(delay);
			if (stopped) break;
			if (watch.active && !watch.active()) continue;
			const moved = await round(watch);
			delay = moved ? every : Math.min(delay * 1.5, longest);
		}
	})();
	return () => {
		stopped = true;
	};
}
