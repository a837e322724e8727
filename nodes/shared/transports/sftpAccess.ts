import { randomBytes } from 'node:crypto';

import type { FtpAccessReport } from './ftpAccess';
import { remoteDirectory, remoteJoin } from './ftpPaths';
import { isSftpRefusal, withSftpSession, type SftpCredentials } from './sftp';

/**
 * Check Access over SFTP, as over FTP: lists the directory (read), writes a probe file (write) and deletes it
 * (delete), in one session, and names every right that is missing. A broken session is thrown, not reported.
 */
export async function checkSftpAccess(c: SftpCredentials, directory: string): Promise<FtpAccessReport> {
	return await withSftpSession(c, async (session) => {
		const typed = remoteDirectory(directory);
		const dir = typed || (await session.realpath('.'));
		const report: FtpAccessReport = { ok: false, directory: typed || '(login directory)', canList: false, canWrite: false, canDelete: false, missingRights: [], message: '' };
		const problems: string[] = [];
		const attempt = async (right: 'read' | 'write' | 'delete', what: string, run: () => Promise<void>): Promise<boolean> => {
			try {
				await run();
				return true;
			} catch (error) {
				// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- the transport layer knows no n8n; the node maps what reaches it
				if (!isSftpRefusal(error)) throw error;
				problems.push(`cannot ${what}: ${(error as Error).message}`);
				report.missingRights.push(right);
				return false;
			}
		};
		report.canList = await attempt('read', `list ${report.directory}`, async () => {
			report.files = (await session.readdir(dir)).filter((e) => e.attrs.isFile()).length;
		});
		const probe = remoteJoin(dir, `.n8n-access-check-${randomBytes(4).toString('hex')}.tmp`);
		report.canWrite = await attempt('write', `write ${probe}`, async () => await session.writeFile(probe, Buffer.from('n8n access check\n')));
		if (report.canWrite) report.canDelete = await attempt('delete', `delete ${probe} (remove it by hand)`, async () => await session.unlink(probe));
		report.ok = problems.length === 0;
		report.message = report.ok
			? `Read and write access to ${report.directory} confirmed (${report.files} file(s)).`
			: `Missing right(s): ${report.missingRights.join(', ')} — ${problems.join('; ')}`;
		return report;
	});
}
