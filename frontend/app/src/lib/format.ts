// How facts read: sizes, durations, exposure and places as people write them.
import type { Schemas } from '$lib/api/client';

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

export function bytes(n: number): string {
	let value = n;
	let unit = 0;
	while (value >= 1000 && unit < UNITS.length - 1) {
		value /= 1000;
		unit++;
	}
	return `${unit ? value.toFixed(value < 10 ? 1 : 0) : value} ${UNITS[unit]}`;
}

export function duration(seconds: number): string {
	const total = Math.round(seconds);
	const h = Math.floor(total / 3600);
	const m = Math.floor((total % 3600) / 60);
	const s = String(total % 60).padStart(2, '0');
	return h ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

export function exposure(camera: Schemas['Camera'] | null): string {
	if (!camera) return '';
	const parts: string[] = [];
	if (camera.exposure_time) {
		const t = camera.exposure_time;
		parts.push(t >= 1 ? `${t} s` : `1/${Math.round(1 / t)} s`);
	}
	if (camera.f_number) parts.push(`f/${camera.f_number}`);
	if (camera.iso) parts.push(`ISO ${camera.iso}`);
	if (camera.focal_length) parts.push(`${camera.focal_length} mm`);
	return parts.join(' · ');
}

/** Degrees from EXIF's [degrees, minutes, seconds] (or a plain number) and its N/S/E/W reference. */
function degrees(value: unknown, ref: unknown): number {
	const parts = Array.isArray(value) ? value.map(Number) : [Number(value)];
	const [d = NaN, m = 0, s = 0] = parts;
	const sign = ref === 'S' || ref === 'W' ? -1 : 1;
	return sign * (d + m / 60 + s / 3600);
}

/** GPS as degrees with hemispheres (e.g. 48.8584° N, 2.2945° E): EXIF's GPS tags as the probe
 * records them, or plain latitude and longitude. */
export function location(gps: Record<string, unknown> | null): string {
	if (!gps) return '';
	const lat = 'GPSLatitude' in gps ? degrees(gps.GPSLatitude, gps.GPSLatitudeRef) : Number(gps.latitude);
	const lon = 'GPSLongitude' in gps ? degrees(gps.GPSLongitude, gps.GPSLongitudeRef) : Number(gps.longitude);
	if (!Number.isFinite(lat) || !Number.isFinite(lon)) return '';
	const place = `${Math.abs(lat).toFixed(4)}° ${lat < 0 ? 'S' : 'N'}, ${Math.abs(lon).toFixed(4)}° ${lon < 0 ? 'W' : 'E'}`;
	const altitude = Number(gps.GPSAltitude ?? gps.altitude);
	return Number.isFinite(altitude) ? `${place}, ${Math.round(altitude)} m` : place;
}

/** A file's labelled facts as a viewer lists them (camera, exposure, codecs, colour, place). */
export function mediaFacts(m: Schemas['MediaInfo'] | null): [string, string][] {
	if (!m) return [];
	const list: [string, string][] = [];
	if (m.width && m.height) list.push(['Dimensions', `${m.width} × ${m.height}`]);
	if (m.duration) list.push(['Duration', duration(m.duration)]);
	const camera = m.camera;
	if (camera?.make || camera?.model) list.push(['Camera', [camera.make, camera.model].filter(Boolean).join(' ')]);
	if (camera?.lens) list.push(['Lens', camera.lens]);
	const shot = exposure(camera ?? null);
	if (shot) list.push(['Exposure', shot]);
	if (m.captured_at) list.push(['Taken', new Date(m.captured_at).toLocaleString()]);
	const codecs = [...new Set((m.streams ?? []).map((s) => s.codec).filter(Boolean))];
	if (codecs.length) list.push(['Codecs', codecs.join(', ')]);
	const colour = [m.color_mode, m.bit_depth ? `${m.bit_depth}-bit` : null, m.hdr, m.icc_profile].filter(Boolean);
	if (colour.length) list.push(['Colour', colour.join(', ')]);
	const where = location(camera?.gps ?? null);
	if (where) list.push(['Location', where]);
	return list;
}
