/**
 * The Accounting FTP Import over FTP next to the least any FTP client can do: a plain basic-ftp loop that lists
 * the directory and downloads every file over one session (and one that deletes each file after its download,
 * what the node's default mode costs on the wire), and — over plain FTP — next to n8n's own FTP node (List → Download
 * → Delete). The frame (files, child processes, figures) is
 * bench/file-import.ts.
 *
 * Not a test. Needs the test servers (`bash scripts/test-servers.sh start`). Run from the project root (the
 * sources use extensionless imports, which Node's own type stripping cannot resolve, so compile first; into
 * .cache/, so that basic-ftp and n8n-core resolve from the project's node_modules):
 *
 *   source scripts/node24.sh
 *   npx tsc --outDir .cache/bench-ftp-import --rootDir . --module commonjs --target es2023 --strict \
 *     --esModuleInterop --skipLibCheck --resolveJsonModule --types node nodes/shared/transports/libqp.d.ts bench/ftp-import.ts \
 *     nodes/shared/paymentThreadWorker.ts
 *
 * (the parse thread's own file is named: nothing imports it, the import starts it as a thread)
 *   node .cache/bench-ftp-import/bench/ftp-import.js [files=200] [protocol=ftpsExplicit|ftp|ftpsImplicit] [uploadWaitSeconds=0] [--rounds=5] [--nodeVersion=2]
 */
import { Writable } from 'node:stream';

import { Client } from 'basic-ftp';

import type { FtpCredentials, FtpProtocol } from '../nodes/shared/transports/ftp';
import { ftpCredentialsFor } from '../test/helpers/servers';
import { n8nFtpNodePhase, runFileImportBench, type ComparedPhase } from './file-import';

function basicFtpLoop(credentials: FtpCredentials, deletes: boolean): ComparedPhase {
	return {
		id: deletes ? 'plainDelete' : 'plain',
		label: `plain basic-ftp loop (LIST + RETR${deletes ? ' + DELE' : ''})`,
		deletes,
		run: async (directory) => {
			const client = new Client(120_000);
			let files = 0;
			let bytes = 0;
			try {
				await client.access({
					host: credentials.host,
					port: credentials.port,
					user: credentials.user,
					password: credentials.password,
					secure: credentials.protocol === 'ftpsImplicit' ? 'implicit' : credentials.protocol === 'ftpsExplicit',
					secureOptions: { rejectUnauthorized: false },
				});
				for (const info of await client.list(directory)) {
					if (!info.isFile) continue;
					const chunks: Buffer[] = [];
					const sink = new Writable({
						write(chunk: Buffer, _encoding, callback) {
							chunks.push(chunk);
							callback();
						},
					});
					await client.downloadTo(sink, `${directory}/${info.name}`);
					bytes += Buffer.concat(chunks).length;
					if (deletes) await client.remove(`${directory}/${info.name}`);
					files++;
				}
			} finally {
				client.close();
			}
			return { files, bytes };
		},
	};
}

runFileImportBench<FtpCredentials>({
	defaultOption: 'ftpsExplicit',
	credentials: (protocol) => ftpCredentialsFor({ protocol: protocol as FtpProtocol }),
	home: (servers) => servers.ftp.home,
	remotePath: (_servers, name) => `/${name}`,
	comparisons: (credentials) => [
		basicFtpLoop(credentials, false),
		basicFtpLoop(credentials, true),
		// n8n's FTP node speaks plain FTP or SFTP, no FTPS
		...(credentials.protocol === 'ftp'
			? [n8nFtpNodePhase('ftp', { host: credentials.host, port: credentials.port ?? 21, username: credentials.user, password: credentials.password })]
			: []),
	],
	nodeSteps: 'LIST + RETR + hash + parse + DELE',
	describe: (servers, protocol) => `over ${protocol}, vsftpd on ${servers.host}`,
});
