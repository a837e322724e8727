import path from 'node:path';

/**
 * Remote FTP paths as users type them: with or without a trailing slash (the seed insists on one, many
 * users forget it), empty for the login directory. Always POSIX separators.
 */
export function remoteDirectory(dir: string | undefined): string {
	const d = (dir ?? '').trim().replace(/\\/g, '/');
	if (d === '' || d === '.' || d === './') return '';
	const joined = path.posix.normalize(d);
	return joined.length > 1 ? joined.replace(/\/+$/, '') : joined;
}

export function remoteJoin(dir: string, name: string): string {
	const d = remoteDirectory(dir);
	return d ? path.posix.join(d, name) : name;
}

/**
 * A remote file name is only used on disk or in another path if it is a plain name: no separators,
 * no `..`, no control characters. Returns undefined for anything else.
 */
export function safeRemoteName(name: string): string | undefined {
	if (!name || name === '.' || name === '..') return undefined;
	// eslint-disable-next-line no-control-regex -- control characters are what is refused here
	if (/[/\\\u0000-\u001f]/.test(name)) return undefined;
	return name;
}
