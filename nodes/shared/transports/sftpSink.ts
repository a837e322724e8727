import path from 'node:path';

import { remoteDirectory } from './ftpPaths';
import { isSftpRefusal, sftpPort, withSftpSession, type SftpCredentials, type SftpSession } from './sftp';

/**
 * The SFTP sink: writes under `<name>.part` (a name the sources of this package, and most others, leave alone)
 * and renames when complete, replacing an older version not yet picked up, so the other side never sees half
 * a file. The target directory must exist: it is never created, so that a typing error does not send
 * documents where nobody reads them.
 */

/** The server refused to store one file (no right, no space): the session stays usable for the next. */
export class SftpDeliveryRefused extends Error {
	constructor(
		readonly target: string,
		serverMessage: string,
	) {
		super(`the SFTP server refused to store ${target}: ${serverMessage}`);
		this.name = 'SftpDeliveryRefused';
	}
}

/** The target directory does not exist or is no directory. */
export class SftpDirectoryMissing extends Error {
	constructor(readonly directory: string) {
		super(`The directory "${directory}" does not exist on the SFTP server or cannot be opened`);
		this.name = 'SftpDirectoryMissing';
	}
}

export interface SftpSink {
	/** the target directory, absolute */
	readonly directory: string;
	/** host:port, for the items */
	readonly where: string;
	/** Writes `bytes` as `name` (a plain file name) into the directory; returns the final path. */
	deliver(name: string, bytes: Buffer): Promise<string>;
}

export async function uploadFileAtomically(session: SftpSession, target: string, bytes: Buffer): Promise<void> {
	const temporary = `${target}.part`;
	try {
		await session.writeFile(temporary, bytes);
		await session.replace(temporary, target);
	} catch (error) {
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- the transport layer knows no n8n; the node maps what reaches it
		if (!isSftpRefusal(error) || session.closed) throw error;
		await session.unlink(temporary).catch(() => undefined);
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- the transport layer knows no n8n; the node maps it
		throw new SftpDeliveryRefused(target, error.message);
	}
}

/** Opens one session, checks the directory (typed relative to the login directory, or absolute), runs `work`. */
export async function withSftpSink<T>(c: SftpCredentials, typedDirectory: string, work: (sink: SftpSink) => Promise<T>): Promise<T> {
	return await withSftpSession(c, async (session) => {
		const directory = path.posix.resolve(await session.realpath('.'), remoteDirectory(typedDirectory) || '.');
		const isDirectory = await session.stat(directory).then(
			(s) => s.isDirectory(),
			(error: unknown) => {
				if (isSftpRefusal(error)) return false;
				throw error;
			},
		);
		if (!isDirectory) throw new SftpDirectoryMissing(directory);
		const sink: SftpSink = {
			directory,
			where: `${c.host}:${sftpPort(c)}`,
			deliver: async (name, bytes) => {
				const target = path.posix.join(directory, name);
				await uploadFileAtomically(session, target, bytes);
				return target;
			},
		};
		return await work(sink);
	});
}
