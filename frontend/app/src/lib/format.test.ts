import { describe, expect, it } from 'vitest';
import { bytes, duration, exposure, location, mediaFacts } from './format';

describe('facts as people read them', () => {
	it('writes sizes, durations and exposure', () => {
		expect(bytes(512)).toBe('512 B');
		expect(bytes(3_461_120)).toBe('3.5 MB');
		expect(bytes(151_886)).toBe('152 KB');
		expect(duration(5.4)).toBe('0:05');
		expect(duration(3725)).toBe('1:02:05');
		expect(exposure({ exposure_time: 0.004, f_number: 2.8, iso: 200, focal_length: 35, gps: null, lens: null, make: null, model: null })).toBe(
			'1/250 s · f/2.8 · ISO 200 · 35 mm'
		);
	});

	it('writes a place with its hemispheres, or nothing', () => {
		expect(location({ latitude: 48.85837, longitude: 2.294481 })).toBe('48.8584° N, 2.2945° E');
		expect(location({ latitude: -33.8568, longitude: -151.2153, altitude: 12.4 })).toBe('33.8568° S, 151.2153° W, 12 m');
		expect(location({ GPSLatitude: [48, 51, 30.1], GPSLatitudeRef: 'N', GPSLongitude: [2, 17, 40.1], GPSLongitudeRef: 'E' })).toBe(
			'48.8584° N, 2.2945° E'
		);
		expect(location({})).toBe('');
		expect(location(null)).toBe('');
	});

	it('lists the facts a file has, and none for a link that hides them', () => {
		expect(mediaFacts(null)).toEqual([]);
		const facts = mediaFacts({
			width: 4000,
			height: 3000,
			camera: { make: 'TestCam', model: 'T1', lens: null, exposure_time: null, f_number: 2, iso: null, focal_length: null, gps: null }
		} as never);
		expect(facts).toEqual([
			['Dimensions', '4000 × 3000'],
			['Camera', 'TestCam T1'],
			['Exposure', 'f/2']
		]);
	});
});
