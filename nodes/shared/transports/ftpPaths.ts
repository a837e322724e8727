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
