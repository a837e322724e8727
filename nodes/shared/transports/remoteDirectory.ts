import { ftpPort, testFtpConnection, withFtpClient, type FtpCredentials } from './ftp';
import { checkFtpAccess, type FtpAccessReport } from './ftpAccess';
import { FingerprintStore, FtpSource, type FtpSourceOptions } from './ftpSource';
import { sftpPort, sftpSecrets, testSftpConnection, withSftpSession, type SftpCredentials } from './sftp';
import { checkSftpAccess } from './sftpAccess';
import { SftpSource } from './sftpSource';

/**
 * The one place that picks the file transport by the credential's protocol: FTP and FTPS (basic-ftp) or SFTP
 * (ssh2). Both offer the same source (list, read, commit, fail) and access check, so the nodes do not care.
 */

export type RemoteCredentials = FtpCredentials | SftpCredentials;
export type RemoteSource = FtpSource | SftpSource;

export function isSftp(c: RemoteCredentials): c is SftpCredentials {
	return c.protocol === 'sftp';
}

/** `host:port`, for items and reports. */
export function remoteServer(c: RemoteCredentials): string {
	return `${c.host}:${isSftp(c) ? sftpPort(c) : ftpPort(c)}`;
}

/** Every secret of the credential, for redaction. */
export function remoteSecrets(c: RemoteCredentials): Array<string | undefined> {
	return isSftp(c) ? sftpSecrets(c) : [c.password];
}

/** Opens one session, runs `work` with a source on it, and always closes the session. */
export async function withRemoteSource<T>(
	c: RemoteCredentials,
	options: FtpSourceOptions,
	store: FingerprintStore,
	work: (source: RemoteSource) => Promise<T>,
): Promise<T> {
	if (isSftp(c)) return await withSftpSession(c, async (session) => await work(new SftpSource(session, options, store)));
	return await withFtpClient(c, async (client) => await work(new FtpSource(client, options, store)));
}

export async function checkRemoteAccess(c: RemoteCredentials, directory: string): Promise<FtpAccessReport> {
	return isSftp(c) ? await checkSftpAccess(c, directory) : await checkFtpAccess(c, directory);
}

export async function testRemoteConnection(c: RemoteCredentials): Promise<string> {
	return isSftp(c) ? await testSftpConnection(c) : await testFtpConnection(c);
}
