// What the viewer's stage shows of an asset, whoever asks: a member (GET /assets/{id}) or a share
// link's visitor (GET /shares/{token}). The stage itself (MediaStage.svelte) knows neither shape.
import type { Schemas } from '$lib/api/client';
import { transcriptOf } from '$lib/enrichment';

export interface StageMedia {
	name: string;
	/** image, video or audio (null: no preview of its own). */
	kind: string | null;
	status: string;
	/** The picture shown: the preview, else the thumbnail. */
	preview: string | null;
	/** What zooming in shows: the original when the browser draws it, else the preview. */
	zoom: string | null;
	poster: string | null;
	waveform: string | null;
	/** The adaptive stream (HLS, else DASH) once its ladder is ready. */
	manifest: string | null;
	/** The original, inline: what plays before the ladder is ready (or where it cannot play). */
	original: string | null;
	/** The transcript as WebVTT captions (GET /assets/{id}/transcript.vtt), once speech found some. */
	captions: string | null;
	/** The captions' language (BCP 47, as Whisper detected it). */
	captionsLanguage: string | null;
}

// Browsers draw these themselves: zooming in shows the original, others zoom the preview.
const DRAWN = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif']);

type Rendition = { kind: string; url: string };
const find = (renditions: readonly Rendition[], ...kinds: string[]) =>
	kinds.map((k) => renditions.find((r) => r.kind === k)?.url).find(Boolean) ?? null;

/** A member's view of an asset. */
export function stageOfAsset(asset: Schemas['AssetOut']): StageMedia {
	const preview = find(asset.renditions, 'preview', 'thumbnail');
	const stream = asset.stream;
	const transcript = transcriptOf(asset);
	return {
		name: asset.title || asset.filename,
		kind: asset.media?.kind ?? null,
		status: asset.status,
		preview,
		zoom: asset.download_url && DRAWN.has(asset.content_type) ? asset.download_url : preview,
		poster: find(asset.renditions, 'poster', 'preview', 'thumbnail'),
		waveform: find(asset.renditions, 'waveform'),
		manifest: stream?.status === 'ready' ? (stream.hls_url ?? stream.dash_url) : null,
		original: asset.media_url,
		captions: transcript ? `/assets/${asset.id}/transcript.vtt` : null,
		captionsLanguage: transcript?.language ?? null
	};
}

/** A share link's view of an asset: its renditions, and the original only where the link shows
 * it (zooming into the original only when the link allows downloads and shows metadata, since the
 * renditions carry no EXIF, XMP or GPS and the original does). */
export function stageOfShared(shared: Schemas['SharedAsset']): StageMedia {
	const preview = find(shared.renditions, 'preview', 'thumbnail');
	const original = shared.download_url && shared.show_metadata && DRAWN.has(shared.type) ? shared.download_url : null;
	return {
		name: shared.name,
		kind: shared.kind,
		status: shared.status,
		preview,
		zoom: original ?? preview,
		poster: find(shared.renditions, 'poster', 'preview', 'thumbnail'),
		waveform: find(shared.renditions, 'waveform'),
		manifest: shared.hls_url ?? shared.dash_url ?? null,
		original: shared.media_url,
		captions: null,
		captionsLanguage: null
	};
}
