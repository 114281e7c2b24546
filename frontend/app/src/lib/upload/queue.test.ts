import { get } from 'svelte/store';
import { describe, expect, it } from 'vitest';
import { FakeTransport } from './fake';
import { fileSha256 } from './hash';
import { memoryJournal } from './journal';
import { createUploader, type Options, type State } from './queue';
import { UploadError, type Asset } from './transport';

const MiB = 1024 * 1024;
const OWNER = 'user-1|studio';

/** A file of `size` bytes, each byte from its position and `seed` (so two seeds differ). */
function file(name: string, size: number, seed = 0, type = 'image/jpeg'): File {
	const bytes = new Uint8Array(size);
	for (let i = 0; i < size; i++) bytes[i] = (i * 31 + seed) & 0xff;
	return new File([bytes], name, { type, lastModified: 1_700_000_000_000 + seed });
}

function setUp(options: Partial<Options> = {}) {
	const transport = new FakeTransport();
	const journal = memoryJournal();
	const uploaded: Asset[] = [];
	const make = () =>
		createUploader({ transport, journal, owner: () => OWNER, onUploaded: (a) => uploaded.push(a), backoff: 1, ...options });
	return { transport, journal, uploaded, make, uploader: make() };
}

/** Let the queue run until `done` holds (every pending promise and timer gets its turn). */
async function until(done: () => boolean, what = 'the condition') {
	for (let i = 0; i < 500; i++) {
		if (done()) return;
		await new Promise((resolve) => setTimeout(resolve, 1));
	}
	throw new Error(`never: ${what}`);
}

const states = (u: ReturnType<typeof createUploader>) => get(u).items.map((i) => i.state);
const settled = (u: ReturnType<typeof createUploader>, ...wanted: State[]) => () =>
	JSON.stringify(states(u)) === JSON.stringify(wanted);

describe('the upload queue', () => {
	it('hashes, creates with the sha256 and the batch tags, puts once and completes a small file', async () => {
		const { transport, journal, uploaded, uploader } = setUp();
		await uploader.setTags(['shoot', 'Lisbon']);
		const photo = file('a.jpg', 1000);
		uploader.add([{ file: photo, path: 'trip/a.jpg' }]);
		await until(settled(uploader, 'done'));
		const [asset] = transport.assets.values();
		expect(asset.draft).toEqual({ filename: 'a.jpg', content_type: 'image/jpeg', size: 1000, sha256: await fileSha256(photo), tags: ['shoot', 'Lisbon'] });
		expect(transport.calls.filter((c) => !c.startsWith('duplicates'))).toEqual(['create a.jpg', 'put asset-1 0', 'complete asset-1']);
		expect(uploaded.map((a) => a.id)).toEqual(['asset-1']);
		expect(get(uploader).items[0]).toMatchObject({ path: 'trip/a.jpg', sent: 1000, error: null });
		expect(journal.entries.size).toBe(0); // nothing left to resume
	});

	it('splits a large file into parts, each with its checksum, and completes with all of them', async () => {
		const { transport, uploader } = setUp();
		uploader.add([{ file: file('clip.mp4', 12 * MiB + 5, 0, 'video/mp4'), path: 'clip.mp4' }]);
		await until(settled(uploader, 'done'));
		expect(transport.calls.filter((c) => c.startsWith('renew')).sort()).toEqual(['renew asset-1 1', 'renew asset-1 2', 'renew asset-1 3']);
		expect(transport.calls.filter((c) => c.startsWith('put')).sort()).toEqual(['put asset-1 1', 'put asset-1 2', 'put asset-1 3']);
		expect(transport.calls.at(-1)).toBe('complete asset-1'); // the fake checks numbers, ETags, checksums
		expect(get(uploader).items[0].sent).toBe(12 * MiB + 5);
	});

	it('sends a few files at a time', async () => {
		const { transport, uploader } = setUp({ files: 2 });
		const release = transport.open();
		uploader.add([1, 2, 3, 4, 5].map((i) => ({ file: file(`${i}.jpg`, 100, i), path: `${i}.jpg` })));
		await until(() => transport.inflight === 2, 'two PUTs in flight');
		expect(states(uploader).filter((s) => s === 'uploading')).toHaveLength(2);
		release();
		await until(settled(uploader, 'done', 'done', 'done', 'done', 'done'));
		expect(transport.maxInflight).toBe(2);
	});

	it('flags a file the workspace already has, skips it, and uploads it when asked', async () => {
		const { transport, uploader } = setUp();
		const photo = file('again.jpg', 500);
		transport.copies.push({ sha256: await fileSha256(photo), id: 'old', filename: 'first.jpg', status: 'ready' });
		uploader.add([{ file: photo, path: 'again.jpg' }, { file: file('new.jpg', 500, 7), path: 'new.jpg' }]);
		await until(settled(uploader, 'duplicate', 'done'));
		expect(get(uploader).items[0].duplicate).toBe('Already in the library as “first.jpg”.');
		expect(transport.calls).not.toContain('create again.jpg');
		uploader.uploadAnyway(get(uploader).items[0].id);
		await until(settled(uploader, 'done', 'done'));
		expect(transport.calls).toContain('create again.jpg');
	});

	it('does not count a copy that never finished uploading, and flags the same file twice in one batch', async () => {
		const { transport, uploader } = setUp();
		const photo = file('x.jpg', 300);
		transport.copies.push({ sha256: await fileSha256(photo), id: 'stale', filename: 'x.jpg', status: 'pending_upload' });
		const twin = new File([photo], 'copy of x.jpg', { type: 'image/jpeg', lastModified: 5 });
		uploader.add([{ file: photo, path: 'x.jpg' }, { file: twin, path: 'b/copy of x.jpg' }]);
		await until(settled(uploader, 'done', 'duplicate'));
		expect(get(uploader).items[1].duplicate).toBe('The same file as “x.jpg” in this upload.');
	});

	it('pauses (aborting what is in flight) and resumes from the parts storage holds', async () => {
		const { transport, uploader } = setUp({ parts: 1 });
		const release = transport.open();
		uploader.add([{ file: file('big.mov', 11 * MiB, 3, 'video/quicktime'), path: 'big.mov' }]);
		await until(() => transport.inflight === 1, 'the first part in flight');
		release(); // part 1 lands
		await until(() => transport.calls.includes('put asset-1 1'), 'part 1 stored');
		transport.open(); // part 2 hangs
		await until(() => transport.inflight === 1, 'part 2 in flight');
		uploader.pause();
		await until(settled(uploader, 'paused'));
		expect(get(uploader).items[0].sent).toBe(5 * MiB); // the aborted part's progress is taken back
		transport.gate = Promise.resolve();
		uploader.resume();
		await until(settled(uploader, 'done'));
		const puts = transport.calls.filter((c) => c.startsWith('put'));
		expect(puts).toEqual(['put asset-1 1', 'put asset-1 2', 'put asset-1 3']); // part 1 not sent again
		expect(transport.calls.filter((c) => c === 'create big.mov')).toHaveLength(1);
	});

	it('resumes after a reload with the file kept in the journal', async () => {
		const first = setUp({ parts: 1 });
		first.transport.open();
		first.uploader.add([{ file: file('long.mp4', 11 * MiB, 1, 'video/mp4'), path: 'cuts/long.mp4' }]);
		await until(() => first.transport.inflight === 1, 'a part in flight');
		expect(first.journal.entries.size).toBe(1);
		// The page reloads: a new uploader over the same journal and storage.
		first.transport.gate = Promise.resolve();
		const again = first.make();
		await again.restore();
		await until(settled(again, 'done'));
		expect(get(again).items[0]).toMatchObject({ path: 'cuts/long.mp4', resumed: true });
		expect(first.transport.calls.filter((c) => c.startsWith('create'))).toHaveLength(1);
		expect(first.journal.entries.size).toBe(0);
	});

	it('asks for the files again when the journal could not keep them, and resumes when they are chosen', async () => {
		const { transport, journal, make, uploader } = setUp();
		transport.open();
		const clip = file('kept.mp4', 9 * MiB, 2, 'video/mp4');
		uploader.add([{ file: clip, path: 'kept.mp4' }]);
		await until(() => transport.inflight > 0, 'a part in flight');
		for (const entry of journal.entries.values()) delete entry.file;
		transport.gate = Promise.resolve();
		const again = make();
		await again.restore();
		expect(get(again).missing).toEqual(['kept.mp4']);
		again.add([{ file: clip, path: 'kept.mp4' }]);
		await until(settled(again, 'done'));
		expect(get(again).missing).toEqual([]);
		expect(transport.calls.filter((c) => c.startsWith('create'))).toHaveLength(1);
		expect(transport.calls.filter((c) => c.startsWith('duplicates'))).toHaveLength(1); // not hashed again
	});

	it('starts over when the asset of an unfinished upload is gone', async () => {
		const { transport, make, uploader } = setUp();
		transport.open();
		uploader.add([{ file: file('gone.jpg', 100), path: 'gone.jpg' }]);
		await until(() => transport.inflight > 0, 'the PUT in flight');
		transport.assets.clear(); // the reconciler ended it
		transport.gate = Promise.resolve();
		const again = make();
		await again.restore();
		await until(settled(again, 'done'));
		expect(transport.calls.filter((c) => c.startsWith('create'))).toHaveLength(2);
	});

	it('says why a file is refused, and retries it when asked', async () => {
		const { transport, uploader } = setUp();
		transport.refuse = (d) =>
			d.content_type === 'text/plain' ? new UploadError("content_type 'text/plain' is not accepted; allowed: image/*, audio/*, video/*", 415) : null;
		uploader.add([{ file: file('notes.txt', 20, 0, 'text/plain'), path: 'notes.txt' }]);
		await until(settled(uploader, 'failed'));
		expect(get(uploader).items[0].error).toContain('is not accepted; allowed: image/*');
		transport.refuse = null;
		uploader.retry(get(uploader).items[0].id);
		await until(settled(uploader, 'done'));
	});

	it('retries a PUT that failed on the way, and fails a file after too many', async () => {
		const { transport, uploader } = setUp({ retries: 3 });
		transport.failPuts = 2;
		uploader.add([{ file: file('flaky.jpg', 100), path: 'flaky.jpg' }]);
		await until(settled(uploader, 'done'));
		transport.failPuts = 3;
		uploader.add([{ file: file('worse.jpg', 100, 9), path: 'worse.jpg' }]);
		await until(settled(uploader, 'done', 'failed'));
		expect(get(uploader).items[1].error).toBe('Storage could not be reached.');
	});

	it('puts finished uploads in the chosen collection and follows later changes of tags and collection', async () => {
		const { transport, uploader } = setUp();
		await uploader.setCollection('c1');
		uploader.add([{ file: file('one.jpg', 10), path: 'one.jpg' }, { file: file('two.jpg', 10, 4), path: 'two.jpg' }]);
		await until(settled(uploader, 'done', 'done'));
		await until(() => transport.collections.get('c1')?.size === 2, 'both in c1');
		await uploader.setTags(['late']);
		await uploader.setCollection('c2');
		expect(transport.tags.get('asset-1')).toEqual(['late']);
		expect([...transport.collections.get('c2')!].sort()).toEqual(['asset-1', 'asset-2']);
		expect(transport.collections.get('c1')!.size).toBe(0);
	});

	it('keeps the batch tags and collection with unfinished uploads across a reload', async () => {
		const { transport, make, uploader } = setUp();
		await uploader.setTags(['kept']);
		await uploader.setCollection('c9');
		transport.open();
		uploader.add([{ file: file('r.jpg', 10), path: 'r.jpg' }]);
		await until(() => transport.inflight > 0, 'the PUT in flight');
		transport.gate = Promise.resolve();
		const again = make();
		await again.restore();
		expect(get(again)).toMatchObject({ tags: ['kept'], collection: 'c9' });
		await until(() => transport.collections.get('c9')?.size === 1, 'in c9');
		expect(transport.calls.filter((c) => c.startsWith('retag'))).toEqual([]); // created with them
	});
});
