/** The real test servers started by scripts/test-servers.sh, as described by the env file it writes. */
import { readFileSync } from 'node:fs';

import type { FtpCredentials } from '../../nodes/shared/transports/ftp';
import type { ImapCredentials, ImapSecurity } from '../../nodes/shared/transports/imap';
import type { SftpCredentials } from '../../nodes/shared/transports/sftp';
import type { SmtpCredentials, SmtpSecurity } from '../../nodes/shared/transports/smtp';

export const SERVERS_DIR = process.env.BACKOFFICE_SERVERS_DIR ?? '/tmp/bo-srv';

export interface MailUser {
	user: string;
	password: string;
	address: string;
}

export interface TestServers {
	dir: string;
	host: string;
	ca: string;
	imap: { port: number; tlsPort: number };
	smtp: { port: number; submissionPort: number; tlsPort: number; accessTable: string; log: string };
	ftp: { port: number; tlsPort: number; home: string };
	sftp: {
		port: number;
		/** the SFTP users' login directory (/files in their chroot) on this machine */
		home: string;
		loginDirectory: string;
		hostKeyFingerprint: string;
		passwordUser: { user: string; password: string };
		keyUser: { user: string; openSshKey: string; passphrase: string; pemKey: string };
		log: string;
		/** the control socket of the SFTP hold (test/helpers/sftpHold.ts) */
		holdSocket: string;
	};
	users: Record<'alice' | 'bob' | 'carol' | 'admin' | 'sink', MailUser> & { ftp: { user: string; password: string } };
	dovecotConf: string;
}

let cached: TestServers | undefined;

export function loadServers(): TestServers {
	if (!cached) {
		try {
			cached = JSON.parse(readFileSync(`${SERVERS_DIR}/env.json`, 'utf8')) as TestServers;
		} catch (error) {
			throw new Error(
				`The test servers are not running (${(error as Error).message}). Run the tests with "npm test", or start them with "scripts/test-servers.sh start".`,
			);
		}
	}
	return cached;
}

type MailUserName = 'alice' | 'bob' | 'carol' | 'admin' | 'sink';

export function imapCredentialsFor(
	who: MailUserName,
	options: { security?: ImapSecurity; allowSelfSigned?: boolean; password?: string } = {},
): ImapCredentials {
	const s = loadServers();
	const security = options.security ?? 'tls';
	return {
		host: s.host,
		port: security === 'tls' ? s.imap.tlsPort : s.imap.port,
		security,
		user: s.users[who].user,
		password: options.password ?? s.users[who].password,
		allowSelfSigned: options.allowSelfSigned ?? true,
	};
}

export function smtpCredentialsFor(
	who: MailUserName,
	options: { security?: SmtpSecurity; allowSelfSigned?: boolean; password?: string } = {},
): SmtpCredentials {
	const s = loadServers();
	const security = options.security ?? 'starttls';
	return {
		host: s.host,
		port: security === 'tls' ? s.smtp.tlsPort : security === 'none' ? s.smtp.port : s.smtp.submissionPort,
		security,
		user: security === 'none' ? undefined : s.users[who].user,
		password: security === 'none' ? undefined : (options.password ?? s.users[who].password),
		senderAddress: s.users[who].address,
		senderName: who,
		allowSelfSigned: options.allowSelfSigned ?? true,
	};
}

export function ftpCredentialsFor(
	options: { protocol?: FtpCredentials['protocol']; allowSelfSigned?: boolean; password?: string } = {},
): FtpCredentials {
	const s = loadServers();
	const protocol = options.protocol ?? 'ftpsExplicit';
	return {
		protocol,
		host: s.host,
		port: protocol === 'ftpsImplicit' ? s.ftp.tlsPort : s.ftp.port,
		user: s.users.ftp.user,
		password: options.password ?? s.users.ftp.password,
		allowSelfSigned: options.allowSelfSigned ?? true,
	};
}

/**
 * SFTP credentials for the test sshd: the password user, or the key user with the OpenSSH key (ed25519 with a
 * passphrase) or the PEM key (RSA); the host key pinned unless told otherwise.
 */
export function sftpCredentialsFor(login: 'password' | 'openSshKey' | 'pemKey' = 'password', overrides: Partial<SftpCredentials> = {}): SftpCredentials {
	const s = loadServers().sftp;
	const base = { protocol: 'sftp' as const, host: loadServers().host, port: s.port, hostKeyFingerprint: s.hostKeyFingerprint };
	if (login === 'password') return { ...base, user: s.passwordUser.user, password: s.passwordUser.password, ...overrides };
	const key = readFileSync(login === 'openSshKey' ? s.keyUser.openSshKey : s.keyUser.pemKey, 'utf8');
	return { ...base, user: s.keyUser.user, privateKey: key, passphrase: login === 'openSshKey' ? s.keyUser.passphrase : undefined, ...overrides };
}

/** n8n credential data (as stored in n8n) for the package's credential types. */
export function n8nCredentialData(
	c: ImapCredentials | SmtpCredentials | FtpCredentials | SftpCredentials,
): Record<string, string | number | boolean> {
	return JSON.parse(JSON.stringify(c)) as Record<string, string | number | boolean>;
}
