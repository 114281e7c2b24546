// Files out of what a person drops or picks: a drop's folders are walked (the File and Directory
// Entries API, as every browser gives it), a picked folder's files carry their path already.
import { isClutter, type Picked } from './plan';

/** Picked files; a folder's hidden files and caches are left out. */
export function fromInput(list: FileList | null): Picked[] {
	return [...(list ?? [])]
		.map((file) => ({ file, path: file.webkitRelativePath || file.name }))
		.filter((p) => !p.path.includes('/') || !isClutter(p.path));
}

/** Every file of a drop, folders walked to the bottom. */
export async function fromDrop(data: DataTransfer): Promise<Picked[]> {
	// The entries must be taken before the first await: the drop's data is gone after the event.
	const entries = [...data.items].map((item) => item.webkitGetAsEntry()).filter((e): e is FileSystemEntry => !!e);
	if (!entries.length) return [...data.files].map((file) => ({ file, path: file.name }));
	const found: Picked[] = [];
	for (const entry of entries) await walk(entry, found);
	return found;
}

async function walk(entry: FileSystemEntry, found: Picked[]): Promise<void> {
	const path = entry.fullPath.replace(/^\//, '');
	if (entry.isFile) {
		const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
		if (!path.includes('/') || !isClutter(path)) found.push({ file, path });
		return;
	}
	if (isClutter(path)) return;
	const reader = (entry as FileSystemDirectoryEntry).createReader();
	// readEntries answers in batches (100 in Chromium) until it answers none.
	for (;;) {
		const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
		if (!batch.length) return;
		for (const child of batch) await walk(child, found);
	}
}

/** Whether a drag carries files (not text or a link dragged within the page). */
export function carriesFiles(event: DragEvent): boolean {
	return !!event.dataTransfer && [...event.dataTransfer.types].includes('Files');
}
