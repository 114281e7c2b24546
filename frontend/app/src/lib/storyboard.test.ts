import { describe, expect, it } from 'vitest';
import { parseStoryboard, spread } from './storyboard';

const VTT = `WEBVTT

00:00:00.000 --> 00:00:02.000
storyboard/sprite_001.jpg#xywh=0,0,160,90

00:00:02.000 --> 00:00:04.000
storyboard/sprite_001.jpg#xywh=160,0,160,90

00:01:04.500 --> 00:01:06.000
storyboard/sprite_002.jpg#xywh=0,90,160,90
`;

describe('storyboard', () => {
	it('reads each cue as a tile of its sprite, resolved against the track', () => {
		const frames = parseStoryboard(VTT, 'http://h/streams/tok/a/r/storyboard.vtt');
		expect(frames).toHaveLength(3);
		expect(frames[1]).toEqual({ start: 2, url: 'http://h/streams/tok/a/r/storyboard/sprite_001.jpg', x: 160, y: 0, w: 160, h: 90 });
		expect(frames[2].start).toBe(64.5);
		expect(frames[2].url.endsWith('sprite_002.jpg')).toBe(true);
		expect(parseStoryboard('WEBVTT\n\nnot a cue', 'http://h/')).toEqual([]);
	});

	it('spreads frames evenly', () => {
		const frames = parseStoryboard(VTT, 'http://h/x.vtt');
		expect(spread(frames, 5)).toHaveLength(3);
		expect(spread(frames, 2).map((f) => f.start)).toEqual([0, 2]);
	});
});
