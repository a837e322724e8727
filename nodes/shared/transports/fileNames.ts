import path from 'node:path';

/**
 * File names as every file transport (FTP, SFTP, a folder) treats them: which names mark a file still being
 * written, the user's name filter, which names are safe to use in a command or path, and the free name a
 * moved file takes when its own is taken.
 */

/** Upload tools write under these names and rename when done (WinSCP .filepart, browsers .crdownload …). */
const IN_PROGRESS_SUFFIX = /\.(part|partial|filepart|tmp|temp|crdownload|upload|uploading)$/i;

/** A name that marks a file still being written: an upload suffix, a hidden dot-name (rsync, lftp), an editor's `~`. */
export function looksInProgress(name: string): boolean {
	return name.startsWith('.') || name.endsWith('~') || IN_PROGRESS_SUFFIX.test(name);
}

/**
 * The seed's "file name contains": a part of the name, case ignored ("zahlungen" finds
 * "2025-03-14_Zahlungen.sta"). With `*` or `?` the filter is a glob for the whole name instead.
 */
export function nameMatches(name: string, filter: string): boolean {
	const f = filter.trim();
	if (f === '') return true;
	if (!/[*?]/.test(f)) return name.toLowerCase().includes(f.toLowerCase());
	const pattern = f
		.split('')
		.map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
		.join('');
	return new RegExp(`^${pattern}$`, 'is').test(name);
}

/**
 * A file name is only used on disk or in another path if it is a plain name: no separators,
 * no `..`, no control characters. Returns undefined for anything else.
 */
export function safeFileName(name: string): string | undefined {
	if (!name || name === '.' || name === '..') return undefined;
	// eslint-disable-next-line no-control-regex -- control characters are what is refused here
	if (/[/\\\u0000-\u001f]/.test(name)) return undefined;
	return name;
}

/**
 * The names a file moved into a directory tries, in order: its own, then `name_2.ext`, `name_3.ext` … up to
 * `name_1000.ext` — a rename overwrites silently on most servers and file systems, and an archive must not
 * lose the older file of the same name.
 */
export function* numberedNames(name: string): Generator<string> {
	const ext = path.posix.extname(name);
	const stem = ext ? name.slice(0, -ext.length) : name;
	yield name;
	for (let n = 2; n <= 1000; n++) yield `${stem}_${n}${ext}`;
}
