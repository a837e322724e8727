import path from 'node:path';

import type { WithFileSink } from './fileSink';
import { remoteDirectory } from './ftpPaths';
import { isSftpRefusal, sftpPort, toSftpTransportError, withSftpSession, type SftpCredentials, type SftpSession } from './sftp';
import { TransportError } from './transportError';

/**
 * The SFTP sink: writes under `<name>.part` (a name the sources of this package, and most others, leave alone)
 * and renames when complete, replacing an older version not yet picked up, so the other side never sees half
 * a file. The target directory must exist: it is never created, so that a typing error does not send
 * documents where nobody reads them.
 */

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
		throw new TransportError('refusedByServer', `the SFTP server refused to store ${target}: ${error.message}`, { code: String(error.code) });
	}
}

/**
 * An SFTP directory as a `FileSink`: one session; the directory (relative to the login directory, or absolute)
 * must exist — it is not created, so that a typing error does not send documents where nobody reads them.
 */
export function sftpFileSink(c: SftpCredentials, typedDirectory: string): WithFileSink {
	return async (work) => await withSftpSession(c, async (session) => {
		const directory = path.posix.resolve(await session.realpath('.'), remoteDirectory(typedDirectory) || '.');
		const isDirectory = await session.stat(directory).then(
			(s) => s.isDirectory(),
			(error: unknown) => {
				if (isSftpRefusal(error)) return false;
				throw toSftpTransportError(error, c);
			},
		);
		if (!isDirectory) {
			throw new TransportError('notFound', `The directory "${directory}" does not exist on the SFTP server or cannot be opened`, {
				hint: 'Create it, or correct the Directory. It is not created automatically, so that a typing error does not send documents where nobody reads them.',
			});
		}
		return await work({
			directory,
			where: `${c.host}:${sftpPort(c)}`,
			deliver: async (name, bytes) => {
				const target = path.posix.join(directory, name);
				// a refused file fails alone (refusedByServer, the session stays usable); anything else broke the session
				await uploadFileAtomically(session, target, bytes).catch((error: unknown) => {
					throw error instanceof TransportError ? error : toSftpTransportError(error, c);
				});
				return target;
			},
		});
	});
}
