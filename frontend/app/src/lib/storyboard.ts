// A video's storyboard (the WebVTT track of its seek thumbnails: one cue per few seconds, each a
// tile of a JPEG sprite sheet, `storyboard/sprite_001.jpg#xywh=x,y,w,h`), read to play it on a tile.

export interface Frame {
	start: number;
	url: string;
	x: number;
	y: number;
	w: number;
	h: number;
}

function seconds(stamp: string): number {
	const parts = stamp.trim().split(':').map(Number);
	return parts.reduce((total, part) => total * 60 + part, 0);
}

/** The frames of a storyboard track, their sprite URLs resolved against the track's own URL. */
export function parseStoryboard(vtt: string, base: string): Frame[] {
	const frames: Frame[] = [];
	for (const block of vtt.replace(/\r/g, '').split(/\n\n+/)) {
		const lines = block.split('\n').filter(Boolean);
		const timing = lines.findIndex((l) => l.includes('-->'));
		if (timing < 0 || !lines[timing + 1]) continue;
		const match = /^(.*)#xywh=(\d+),(\d+),(\d+),(\d+)$/.exec(lines[timing + 1].trim());
		if (!match) continue;
		frames.push({
			start: seconds(lines[timing].split('-->')[0]),
			url: new URL(match[1], base).href,
			x: Number(match[2]),
			y: Number(match[3]),
			w: Number(match[4]),
			h: Number(match[5])
		});
	}
	return frames;
}

/** At most `count` frames spread evenly over the whole video. */
export function spread(frames: readonly Frame[], count: number): Frame[] {
	if (frames.length <= count) return [...frames];
	return Array.from({ length: count }, (_, i) => frames[Math.floor((i * frames.length) / count)]);
}
