/**
 * Starts the real test servers (Dovecot, Postfix, vsftpd) once for the whole jest run, unless they are
 * already running (CI starts them before `npm test`) or only unit tests were asked for. Servers this
 * setup started are stopped again by globalTeardown; servers it found running are left alone.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const script = path.join(__dirname, '../../scripts/test-servers.sh');

function running(): boolean {
	try {
		execFileSync('bash', [script, 'status'], { stdio: 'ignore' });
		return true;
	} catch {
		return false;
	}
}

export default async function globalSetup(globalConfig: { testPathPatterns?: { patterns?: string[] } | string[] }) {
	const raw = globalConfig.testPathPatterns;
	const patterns = (Array.isArray(raw) ? raw : (raw?.patterns ?? [])).map(String);
	const unitOnly = patterns.length > 0 && patterns.every((p) => /(^|\/)test\/unit/.test(p));
	if (unitOnly || process.env.BACKOFFICE_SKIP_SERVERS === '1') return;
	if (running()) return;
	execFileSync('bash', [script, 'start'], { stdio: ['ignore', 'inherit', 'inherit'] });
	process.env.BACKOFFICE_SERVERS_STARTED_BY_JEST = '1';
}
