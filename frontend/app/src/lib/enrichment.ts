// What enrichment found for an asset (`enrichment` of GET /assets/{id}), read into typed views: the
// API types each kind's `result` as an open object, whose shape each kind documents
// (docs/guides/enrichment.md). Anything missing or malformed reads as nothing found.
import type { Schemas } from '$lib/api/client';

type Asset = Schemas['AssetOut'];
type Point = [number, number];

export interface TextLine {
	text: string;
	confidence: number;
	box: Point[];
}

export interface TextFound {
	/** The picture the boxes are in pixels of (the preview). */
	width: number;
	height: number;
	lines: TextLine[];
	/** A video's text in its frames after the poster: the lines at each time (the poster's aside). */
	frames: { time: number; lines: string[] }[];
}

export interface ModelTag {
	name: string;
	confidence: number;
	decision: 'accepted' | 'rejected' | null;
	/** The models that suggested it (objects, scenes). */
	kinds: string[];
}

export interface Credentials {
	present: boolean;
	signer: string | null;
	signed_at: string | null;
	actions: string[];
	ai_generated: boolean;
	valid: boolean;
	/** Valid, and the signer's certificate chains to a trust anchor (none is configured today). */
	trusted: boolean;
	problems: string[];
}

const record = (value: unknown): Record<string, unknown> | null =>
	value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;

function result(asset: Asset, kind: string): Record<string, unknown> | null {
	const found = asset.enrichment?.[kind];
	return found && found.state === 'done' ? record(found.result) : null;
}

/** The text read in the asset's picture, or null when OCR has not run (or found nothing). */
export function textOf(asset: Asset): TextFound | null {
	const found = result(asset, 'ocr');
	if (!found || !Array.isArray(found.lines)) return null;
	const lines = textLines(found.lines).filter((l) => Array.isArray(l.box));
	const seen = new Set(lines.map((l) => l.text));
	const frames = (Array.isArray(found.frames) ? found.frames : [])
		.map(record)
		.filter((f): f is Record<string, unknown> => f !== null && typeof f.time === 'number')
		.map((f) => {
			const fresh = textLines(f.lines)
				.map((l) => l.text)
				.filter((t) => !seen.has(t));
			fresh.forEach((t) => seen.add(t));
			return { time: f.time as number, lines: fresh };
		})
		.filter((f) => f.lines.length);
	if (!lines.length && !frames.length) return null;
	return { width: Number(found.width) || 1, height: Number(found.height) || 1, lines, frames };
}

function textLines(value: unknown): TextLine[] {
	return (Array.isArray(value) ? value : [])
		.map(record)
		.filter((l): l is Record<string, unknown> => l !== null && typeof l.text === 'string')
		.map((l) => ({ text: l.text as string, confidence: Number(l.confidence) || 0, box: l.box as Point[] }));
}

export interface Spoken {
	start: number;
	end: number;
	text: string;
}

/** What is said in the asset's sound (the speech step's segments), or null when it has not run or
 * heard nothing; `language` as Whisper detected it. */
export function transcriptOf(asset: Asset): { language: string | null; segments: Spoken[] } | null {
	const found = result(asset, 'speech');
	if (!found || !Array.isArray(found.segments)) return null;
	const segments = found.segments
		.map(record)
		.filter((s): s is Record<string, unknown> => s !== null && typeof s.text === 'string')
		.map((s) => ({ start: Number(s.start) || 0, end: Number(s.end) || 0, text: s.text as string }));
	if (!segments.length) return null;
	return { language: typeof found.language === 'string' ? found.language : null, segments };
}

/** The SVG points of each text line's box, in the picture's pixels. */
export function polygons(text: TextFound): string[] {
	return text.lines.map((line) => line.box.map(([x, y]) => `${x},${y}`).join(' '));
}

/** The models' tags of the asset, merged by name (the highest confidence), most confident first. */
export function modelTags(asset: Asset): ModelTag[] {
	const merged = new Map<string, ModelTag>();
	for (const kind of ['objects', 'scenes']) {
		const tags = result(asset, kind)?.tags;
		if (!Array.isArray(tags)) continue;
		for (const item of tags.map(record)) {
			if (!item || typeof item.name !== 'string') continue;
			const confidence = Number(item.confidence) || 0;
			const decision = item.decision === 'accepted' || item.decision === 'rejected' ? item.decision : null;
			const known = merged.get(item.name);
			if (known) {
				known.confidence = Math.max(known.confidence, confidence);
				known.kinds.push(kind);
				known.decision = known.decision ?? decision;
			} else merged.set(item.name, { name: item.name, confidence, decision, kinds: [kind] });
		}
	}
	return [...merged.values()].sort((a, b) => b.confidence - a.confidence || a.name.localeCompare(b.name));
}

/** The content credentials the asset's file carries, or null until the step has run. */
export function credentialsOf(asset: Asset): Credentials | null {
	const found = result(asset, 'credentials');
	if (!found) return null;
	const strings = (value: unknown) => (Array.isArray(value) ? value.map(String) : []);
	return {
		present: found.present === true,
		signer: typeof found.signer === 'string' ? found.signer : null,
		signed_at: typeof found.signed_at === 'string' ? found.signed_at : null,
		actions: strings(found.actions),
		ai_generated: found.ai_generated === true,
		valid: found.valid === true,
		trusted: found.trusted === true,
		problems: strings(found.problems)
	};
}

/** Whether the asset's near-duplicates can be looked up (its picture has been hashed). */
export function hashed(asset: Asset): boolean {
	return asset.enrichment?.similar?.state === 'done';
}
