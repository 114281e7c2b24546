import { describe, expect, it } from 'vitest';
import type { Schemas } from '$lib/api/client';
import { stageOfAsset, stageOfShared } from './media';

const shared = (changes: Partial<Schemas['SharedAsset']> = {}): Schemas['SharedAsset'] => ({
	name: 'harbour.jpg',
	type: 'image/jpeg',
	kind: 'image',
	size: 1000,
	status: 'ready',
	expires_at: '2026-01-01T00:00:00Z',
	download: true,
	show_metadata: true,
	facts: null,
	preview_url: 'https://s3/preview.webp',
	thumbnail_url: 'https://s3/thumb.webp',
	media_url: null,
	download_url: 'https://s3/original.jpg',
	renditions: [
		{ kind: 'thumbnail', content_type: 'image/webp', width: 320, height: 240, url: 'https://s3/thumb.webp' },
		{ kind: 'preview', content_type: 'image/webp', width: 1600, height: 1200, url: 'https://s3/preview.webp' }
	],
	hls_url: null,
	dash_url: null,
	storyboard_url: null,
	thumbhash: null,
	...changes
});

describe('what the stage shows', () => {
	it('zooms into the original of a link that allows downloads and shows metadata', () => {
		expect(stageOfShared(shared()).zoom).toBe('https://s3/original.jpg');
		expect(stageOfShared(shared()).preview).toBe('https://s3/preview.webp');
	});

	it('zooms into the preview when the link hides metadata (the original carries EXIF) or downloads', () => {
		expect(stageOfShared(shared({ show_metadata: false })).zoom).toBe('https://s3/preview.webp');
		expect(stageOfShared(shared({ download_url: null, download: false })).zoom).toBe('https://s3/preview.webp');
		expect(stageOfShared(shared({ type: 'image/tiff' })).zoom).toBe('https://s3/preview.webp');
	});

	it('plays a shared video adaptively, the original before its ladder', () => {
		const video = shared({ kind: 'video', type: 'video/mp4', media_url: 'https://s3/m.mp4', hls_url: '/stream/t/a/master.m3u8' });
		expect(stageOfShared(video).manifest).toBe('/stream/t/a/master.m3u8');
		expect(stageOfShared({ ...video, hls_url: null, dash_url: '/stream/t/a/manifest.mpd' }).manifest).toBe('/stream/t/a/manifest.mpd');
		expect(stageOfShared({ ...video, hls_url: null }).manifest).toBeNull();
		expect(stageOfShared(video).original).toBe('https://s3/m.mp4');
	});

	it("plays a member's stream only once it is ready", () => {
		const asset = {
			title: null,
			filename: 'clip.mp4',
			content_type: 'video/mp4',
			status: 'ready',
			media: { kind: 'video' },
			renditions: [{ kind: 'poster', url: 'https://s3/poster.webp' }],
			download_url: 'https://s3/clip.mp4',
			media_url: 'https://s3/clip.mp4',
			stream: { status: 'processing', hls_url: null, dash_url: null }
		} as unknown as Schemas['AssetOut'];
		expect(stageOfAsset(asset)).toMatchObject({ name: 'clip.mp4', kind: 'video', manifest: null, poster: 'https://s3/poster.webp' });
		const ready = { ...asset, stream: { ...asset.stream!, status: 'ready', hls_url: '/stream/x/master.m3u8' } } as Schemas['AssetOut'];
		expect(stageOfAsset(ready).manifest).toBe('/stream/x/master.m3u8');
		expect(stageOfAsset(asset).captions).toBeNull();
	});

	it('captions a video from its transcript once speech heard something', () => {
		const segments = [{ start: 0, end: 2, text: 'Hello.' }];
		const speech = (result: unknown) => ({ state: 'done', model: 'whisper-base', model_version: '1', result, error: null });
		const asset = {
			id: 'a1',
			title: null,
			filename: 'talk.mp4',
			content_type: 'video/mp4',
			status: 'ready',
			media: { kind: 'video' },
			renditions: [],
			enrichment: { speech: speech({ language: 'fr', segments }) }
		} as unknown as Schemas['AssetOut'];
		expect(stageOfAsset(asset)).toMatchObject({ captions: '/assets/a1/transcript.vtt', captionsLanguage: 'fr' });
		const silent = { ...asset, enrichment: { speech: speech({ language: null, segments: [] }) } } as unknown as Schemas['AssetOut'];
		expect(stageOfAsset(silent).captions).toBeNull();
	});
});
