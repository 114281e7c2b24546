import { describe, expect, it } from 'vitest';
import type { Schemas } from '$lib/api/client';
import { credentialsOf, hashed, modelTags, polygons, textOf, transcriptOf } from './enrichment';

type Found = Schemas['EnrichmentOut'];
const done = (result: unknown): Found =>
	({ state: 'done', model: 'm', model_version: '1', result, error: null }) as unknown as Found;
const asset = (enrichment: Record<string, Found> | null) => ({ enrichment }) as unknown as Schemas['AssetOut'];

describe('what enrichment found', () => {
	it('reads the text lines and their boxes', () => {
		const line = { text: 'MAIN STREET', confidence: 0.99, box: [[1, 2], [30, 2], [30, 9], [1, 9]] };
		const text = textOf(asset({ ocr: done({ width: 1280, height: 800, lines: [line, { text: 7 }] }) }));
		expect(text).toEqual({ width: 1280, height: 800, lines: [line], frames: [] });
		expect(polygons(text!)).toEqual(['1,2 30,2 30,9 1,9']);
		expect(textOf(asset({ ocr: done({ width: 1, height: 1, lines: [] }) }))).toBeNull();
		expect(textOf(asset(null))).toBeNull();
	});

	it("reads a video's text in its frames, each line once, at the time it is first seen", () => {
		const line = (text: string) => ({ text, confidence: 0.9, box: [[0, 0], [1, 0], [1, 1], [0, 1]] });
		const found = done({
			width: 960,
			height: 540,
			lines: [line('OPENING')],
			frames: [
				{ time: 3, lines: [line('OPENING'), line('Chapter one')] },
				{ time: 5, lines: [line('Chapter one')] },
				{ time: 7, lines: [line('THE END')] },
				{ time: 'x', lines: [line('lost')] }
			]
		});
		expect(textOf(asset({ ocr: found }))?.frames).toEqual([
			{ time: 3, lines: ['Chapter one'] },
			{ time: 7, lines: ['THE END'] }
		]);
		const onlyLater = done({ width: 1, height: 1, lines: [], frames: [{ time: 5, lines: [line('SALE')] }] });
		expect(textOf(asset({ ocr: onlyLater }))).toEqual({ width: 1, height: 1, lines: [], frames: [{ time: 5, lines: ['SALE'] }] });
	});

	it('reads the transcript segments, nothing when speech heard none', () => {
		const said = { start: 0, end: 4, text: 'The museum keeps every photograph.' };
		const found = transcriptOf(asset({ speech: done({ language: 'en', segments: [said, { start: 1 }] }) }));
		expect(found).toEqual({ language: 'en', segments: [said] });
		expect(transcriptOf(asset({ speech: done({ language: null, segments: [] }) }))).toBeNull();
		expect(transcriptOf(asset({ speech: { ...done(null), state: 'failed' } }))).toBeNull();
	});

	it('merges the models tags by name, most confident first, with their answers', () => {
		const tags = modelTags(
			asset({
				objects: done({ tags: [{ name: 'cat', confidence: 0.91, decision: null }] }),
				scenes: done({
					tags: [
						{ name: 'cat', confidence: 0.97, decision: 'accepted' },
						{ name: 'animal', confidence: 0.97, decision: 'rejected' },
						{ name: 42 }
					]
				})
			})
		);
		expect(tags).toEqual([
			{ name: 'animal', confidence: 0.97, decision: 'rejected', kinds: ['scenes'] },
			{ name: 'cat', confidence: 0.97, decision: 'accepted', kinds: ['objects', 'scenes'] }
		]);
	});

	it('reads content credentials, and nothing before the step ran', () => {
		const running = { state: 'running', model: null, model_version: null, result: null, error: null } as unknown as Found;
		expect(credentialsOf(asset({ credentials: running }))).toBeNull();
		const found = credentialsOf(
			asset({ credentials: done({ present: true, signer: 'Newsroom', actions: ['c2pa.created'], valid: false, problems: ['assertion.dataHash.mismatch'] }) })
		);
		expect(found).toEqual({
			present: true,
			signer: 'Newsroom',
			signed_at: null,
			actions: ['c2pa.created'],
			ai_generated: false,
			valid: false,
			trusted: false,
			problems: ['assertion.dataHash.mismatch']
		});
		expect(hashed(asset({ similar: done({ hashes: ['00ff'] }) }))).toBe(true);
		expect(hashed(asset({}))).toBe(false);
	});
});
