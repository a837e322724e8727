import { ftpFileSink, ftpPort, testFtpConnection, type FtpCredentials } from './ftp';
import { checkFtpAccess, type FtpAccessReport } from './ftpAccess';
import type { WithFileSink } from './fileSink';
import type { FileSourceOptions, SourceFile, WithFileSource } from './fileSource';
import type { FingerprintStore } from './fingerprints';
import { ftpFileSource } from './ftpSource';
import { sftpPort, sftpSecrets, testSftpConnection, type SftpCredentials } from './sftp';
import { checkSftpAccess } from './sftpAccess';
import { sftpFileSink } from './sftpSink';
import { sftpFileSource } from './sftpSource';

/**
 * The one place that picks the file transport by the credential's protocol: FTP and FTPS (basic-ftp) or SFTP
 * (ssh2). Both offer the same source and sink contract (fileSource.ts, fileSink.ts) and the same access check,
 * so the nodes do not care which one they talk to.
 */

export type RemoteCredentials = FtpCredentials | SftpCredentials;

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

/** The directory as a source: one session per run, always closed. */
export function remoteFileSource(c: RemoteCredentials, options: FileSourceOptions, store: FingerprintStore): WithFileSource<SourceFile> {
	return isSftp(c) ? sftpFileSource(c, options, store) : ftpFileSource(c, options, store);
}

/** The directory (typed relative to the login directory, or absolute; it must exist) as a sink. */
export function remoteFileSink(c: RemoteCredentials, typedDirectory: string): WithFileSink {
	return isSftp(c) ? sftpFileSink(c, typedDirectory) : ftpFileSink(c, typedDirectory);
}

export async function checkRemoteAccess(c: RemoteCredentials, directory: string): Promise<FtpAccessReport> {
	return isSftp(c) ? await checkSftpAccess(c, directory) : await checkFtpAccess(c, directory);
}

export async function testRemoteConnection(c: RemoteCredentials): Promise<string> {
	return isSftp(c) ? await testSftpConnection(c) : await testFtpConnection(c);
}
