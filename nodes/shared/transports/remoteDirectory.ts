import { ftpPort, testFtpConnection, withFtpClient, type FtpCredentials } from './ftp';
import { checkFtpAccess, type FtpAccessReport } from './ftpAccess';
import { FingerprintStore, FtpSource, type FtpSourceOptions } from './ftpSource';
import { sftpPort, sftpSecrets, testSftpConnection, type SftpCredentials } from './sftp';
import { checkSftpAccess } from './sftpAccess';
import { sftpFileSource, type SftpSource } from './sftpSource';

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

/** The directory as a source: `remoteFileSource(c, options, store)(work)` opens one session, runs `work` on it, always closes it. */
export function remoteFileSource(c: RemoteCredentials, options: FtpSourceOptions, store: FingerprintStore) {
	return async <T>(work: (source: RemoteSource) => Promise<T>): Promise<T> => {
		if (isSftp(c)) return await sftpFileSource(c, options, store)(work);
		return await withFtpClient(c, async (client) => await work(new FtpSource(client, options, store)));
	};
}

export async function checkRemoteAccess(c: RemoteCredentials, directory: string): Promise<FtpAccessReport> {
	return isSftp(c) ? await checkSftpAccess(c, directory) : await checkFtpAccess(c, directory);
}

export async function testRemoteConnection(c: RemoteCredentials): Promise<string> {
	return isSftp(c) ? await testSftpConnection(c) : await testFtpConnection(c);
}
