/**
 * The Accounting FTP Import over SFTP next to a plain ssh2-sftp-client loop over the same files and the same
 * sshd: connect, list, `get` every file into a Buffer (and `delete` it, what the node's default mode does),
 * nothing else; once more with TCP_NODELAY, as the node's transport sets it (SFTP is request and answer: with
 * Nagle's algorithm on, small requests wait for the delayed ACK of the one before). Every phase logs in the same
 * way and checks the host key against the pinned fingerprint; n8n's own FTP node over SFTP (List → Download →
 * Delete) runs beside them (it checks no host key). The frame (files, child processes, figures) is
 * bench/file-import.ts.
 *
 * Not a test. Needs the test servers (`bash scripts/test-servers.sh start`). Run from the project root:
 *
 *   source scripts/node24.sh
 *   npx tsc --outDir .cache/bench-sftp-import --rootDir . --module commonjs --target es2023 --strict \
 *     --esModuleInterop --skipLibCheck --resolveJsonModule --types node nodes/shared/transports/libqp.d.ts bench/sftp-import.ts \
 *     nodes/shared/paymentThreadWorker.ts
 *   node .cache/bench-sftp-import/bench/sftp-import.js [files=200] [login=password|openSshKey|pemKey] [uploadWaitSeconds=0] [--rounds=5]
 */
import SftpClient from 'ssh2-sftp-client';

import { hostKeyFingerprint, type SftpCredentials } from '../nodes/shared/transports/sftp';
import { sftpCredentialsFor } from '../test/helpers/servers';
import { n8nFtpNodePhase, runFileImportBench, type ComparedPhase } from './file-import';

type Login = 'password' | 'openSshKey' | 'pemKey';

function sftpClientLoop(credentials: SftpCredentials, deletes: boolean, noDelay: boolean): ComparedPhase {
	return {
		id: `plain${deletes ? 'Delete' : ''}${noDelay ? 'NoDelay' : ''}`,
		label: `plain ssh2-sftp-client loop (list + get${deletes ? ' + delete' : ''}${noDelay ? ', TCP_NODELAY' : ''})`,
		deletes,
		run: async (directory) => {
			const client = new SftpClient();
			let files = 0;
			let bytes = 0;
			try {
				await client.connect({
					host: credentials.host,
					port: credentials.port,
					username: credentials.user,
					password: credentials.password,
					privateKey: credentials.privateKey,
					passphrase: credentials.passphrase,
					hostVerifier: (key: Buffer) => hostKeyFingerprint(key) === credentials.hostKeyFingerprint,
				});
				// the one thing the node's transport does that a plain loop does not: switch Nagle's algorithm off
				if (noDelay) (client as unknown as { client: { setNoDelay(on: boolean): void } }).client.setNoDelay(true);
				for (const entry of await client.list(directory)) {
					if (entry.type !== '-') continue;
					bytes += ((await client.get(`${directory}/${entry.name}`)) as Buffer).length;
					if (deletes) await client.delete(`${directory}/${entry.name}`);
					files++;
				}
			} finally {
				await client.end();
			}
			return { files, bytes };
		},
	};
}

runFileImportBench<SftpCredentials>({
	defaultOption: 'password',
	credentials: (login) => sftpCredentialsFor(login as Login),
	home: (servers) => servers.sftp.home,
	remotePath: (servers, name) => `${servers.sftp.loginDirectory}/${name}`,
	comparisons: (credentials) => [
		sftpClientLoop(credentials, false, false),
		sftpClientLoop(credentials, true, false),
		sftpClientLoop(credentials, true, true),
		// n8n's SFTP credential: password or private key; n8n's node does not check the host key
		n8nFtpNodePhase('sftp', {
			host: credentials.host,
			port: credentials.port ?? 22,
			username: credentials.user,
			password: credentials.password ?? '',
			privateKey: credentials.privateKey ?? '',
			passphrase: credentials.passphrase ?? '',
		}),
	],
	nodeSteps: 'readdir + read + hash + parse + remove',
	describe: (servers, login) => `over SFTP (${login} login), OpenSSH sshd on ${servers.host}`,
});
