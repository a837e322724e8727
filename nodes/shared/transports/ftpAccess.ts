import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

import { withFtpClient, type FtpCredentials } from './ftp';
import { remoteDirectory, remoteJoin } from './ftpPaths';

export interface FtpAccessReport {
	ok: boolean;
	directory: string;
	canList: boolean;
	canWrite: boolean;
	canDelete: boolean;
	files?: number;
	missingRights: Array<'read' | 'write' | 'delete'>;
	message: string;
}

/**
 * The seed's access check: the import needs to read (list, download) and write (delete or move what was
 * imported). Lists the directory, uploads a probe file, deletes it; one session; reports what failed.
 */
export async function checkFtpAccess(c: FtpCredentials, directory: string): Promise<FtpAccessReport> {
	const dir = remoteDirectory(directory);
	return await withFtpClient(c, async (client) => {
		const report: FtpAccessReport = {
			ok: false,
			directory: dir || '(login directory)',
			canList: false,
			canWrite: false,
			canDelete: false,
			missingRights: [],
			message: '',
		};
		const problems: string[] = [];
		try {
			report.files = (await client.list(dir || undefined)).filter((f) => f.isFile).length;
			report.canList = true;
		} catch (error) {
			problems.push(`cannot list ${report.directory}: ${(error as Error).message}`);
			report.missingRights.push('read');
		}
		const probe = remoteJoin(dir, `.n8n-access-check-${randomBytes(4).toString('hex')}.tmp`);
		try {
			await client.uploadFrom(Readable.from([Buffer.from('n8n access check\n')]), probe);
			report.canWrite = true;
		} catch (error) {
			problems.push(`cannot write ${probe}: ${(error as Error).message}`);
			report.missingRights.push('write');
		}
		if (report.canWrite) {
			try {
				await client.remove(probe);
				report.canDelete = true;
			} catch (error) {
				problems.push(`cannot delete ${probe} (remove it by hand): ${(error as Error).message}`);
				report.missingRights.push('delete');
			}
		}
		report.ok = problems.length === 0;
		report.message = report.ok
			? `Read and write access to ${report.directory} confirmed (${report.files} file(s)).`
			: `Missing right(s): ${report.missingRights.join(', ')} — ${problems.join('; ')}`;
		return report;
	});
}
