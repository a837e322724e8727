import type {
	ICredentialDataDecryptedObject,
	ICredentialTestFunctions,
	ICredentialsDecrypted,
	INodeCredentialTestResult,
} from 'n8n-workflow';

import { TransportError, redact } from './transports/transportError';
import { type FtpCredentials, type FtpProtocol } from './transports/ftp';
import { remoteSecrets, testRemoteConnection, type RemoteCredentials } from './transports/remoteDirectory';
import { testImapConnection, type ImapCredentials, type ImapSecurity } from './transports/imap';
import { testSmtpConnection, type SmtpCredentials, type SmtpSecurity } from './transports/smtp';

/** The credential type names of this package, as n8n knows them. */
export const CREDENTIAL = {
	imap: 'backofficeImapApi',
	smtp: 'backofficeSmtpApi',
	ftp: 'backofficeFtpApi',
} as const;

const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v)).trim();
const num = (v: unknown, fallback: number): number => {
	const n = Number(v);
	return Number.isFinite(n) && n > 0 ? n : fallback;
};

export function imapCredentials(data: ICredentialDataDecryptedObject): ImapCredentials {
	const security = (str(data.security) || 'tls') as ImapSecurity;
	return {
		host: str(data.host),
		port: num(data.port, security === 'tls' ? 993 : 143),
		security,
		user: str(data.user),
		password: String(data.password ?? ''),
		allowSelfSigned: data.allowSelfSigned === true,
	};
}

export function smtpCredentials(data: ICredentialDataDecryptedObject): SmtpCredentials {
	const security = (str(data.security) || 'starttls') as SmtpSecurity;
	return {
		host: str(data.host),
		port: num(data.port, security === 'tls' ? 465 : security === 'none' ? 25 : 587),
		security,
		user: str(data.user) || undefined,
		password: data.password === undefined ? undefined : String(data.password),
		senderAddress: str(data.senderAddress) || str(data.user),
		senderName: str(data.senderName) || undefined,
		allowSelfSigned: data.allowSelfSigned === true,
	};
}

export function ftpCredentials(data: ICredentialDataDecryptedObject): FtpCredentials {
	return {
		protocol: (str(data.protocol) || 'ftpsExplicit') as FtpProtocol,
		host: str(data.host),
		port: num(data.port, 0),
		user: str(data.user),
		password: String(data.password ?? ''),
		allowSelfSigned: data.allowSelfSigned === true,
	};
}

/** The FTP credential as the file transports take it: FTP/FTPS, or SFTP with its key and host key fields. */
export function fileServerCredentials(data: ICredentialDataDecryptedObject): RemoteCredentials {
	if (str(data.protocol) !== 'sftp') return ftpCredentials(data);
	const secret = (v: unknown) => (v === undefined || v === null || v === '' ? undefined : String(v));
	return {
		protocol: 'sftp',
		host: str(data.host),
		port: num(data.port, 22),
		user: str(data.user),
		password: secret(data.password),
		privateKey: secret(data.privateKey),
		passphrase: secret(data.passphrase),
		hostKeyFingerprint: str(data.hostKeyFingerprint) || undefined,
		acceptAnyHostKey: data.acceptAnyHostKey === true,
	};
}

async function runTest(
	credential: ICredentialsDecrypted,
	test: () => Promise<string>,
): Promise<INodeCredentialTestResult> {
	try {
		return { status: 'OK', message: await test() };
	} catch (error) {
		const secrets = remoteSecrets(fileServerCredentials(credential.data ?? {}));
		const message = error instanceof TransportError ? error.message : String((error as Error)?.message ?? error);
		return { status: 'Error', message: redact(message, [credential.data?.password as string | undefined, ...secrets]) };
	}
}

/** The `methods.credentialTest` entries of every node that uses this package's credentials. */
export const credentialTest = {
	async backofficeImapApiTest(
		this: ICredentialTestFunctions,
		credential: ICredentialsDecrypted,
	): Promise<INodeCredentialTestResult> {
		return await runTest(credential, async () => await testImapConnection(imapCredentials(credential.data ?? {})));
	},
	async backofficeSmtpApiTest(
		this: ICredentialTestFunctions,
		credential: ICredentialsDecrypted,
	): Promise<INodeCredentialTestResult> {
		return await runTest(credential, async () => await testSmtpConnection(smtpCredentials(credential.data ?? {})));
	},
	async backofficeFtpApiTest(
		this: ICredentialTestFunctions,
		credential: ICredentialsDecrypted,
	): Promise<INodeCredentialTestResult> {
		return await runTest(credential, async () => await testRemoteConnection(fileServerCredentials(credential.data ?? {})));
	},
};
