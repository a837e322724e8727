/**
 * How fast is the Accounting FTP Import over SFTP, and what does it cost in memory, next to a plain
 * ssh2-sftp-client loop over the same files and the same sshd: connect, list, `get` every file into a Buffer
 * (and `delete` it), nothing else?
 *
 * Puts N camt.053 payment files (default 200) into fresh directories of the test sshd, then, each in a child
 * process of its own so that the peak memory belongs to one approach:
 *   1. plain: ssh2-sftp-client, one session, list + get of every file;
 *   2. plain + delete: the same, deleting each file after its download (what the node's default mode does);
 *   2b. the same with TCP_NODELAY, as the node's transport sets it (SFTP is request and answer: with Nagle's
 *      algorithm on, small requests wait for the delayed ACK of the one before);
 *   3. node: one run of the Accounting FTP Import node through n8n's engine (RunnerWorkflow) over SFTP:
 *      readdir, stat, read, SHA-256, parse, payment items, remove of every file; upload wait 0 unless given.
 * Every phase logs in with the same password and checks the host key against the pinned fingerprint.
 *
 * Not a test. Needs the test servers (`bash scripts/test-servers.sh start`). Run from the project root:
 *
 *   source scripts/node24.sh
 *   npx tsc --outDir .cache/bench-sftp-import --rootDir . --module commonjs --target es2023 --strict \
 *     --esModuleInterop --skipLibCheck --resolveJsonModule --types node nodes/shared/transports/libqp.d.ts bench/sftp-import.ts
 *   node .cache/bench-sftp-import/bench/sftp-import.js [files=200] [login=password|openSshKey|pemKey] [uploadWaitSeconds=0]
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import SftpClient from 'ssh2-sftp-client';

import { hostKeyFingerprint, type SftpCredentials } from '../nodes/shared/transports/sftp';
import { loadServers, n8nCredentialData, sftpCredentialsFor } from '../test/helpers/servers';

type Login = 'password' | 'openSshKey' | 'pemKey';

interface PhaseResult {
	phase: string;
	files: number;
	payments?: number;
	seconds: number;
	maxRssMb: number;
	/** RSS once the code was loaded, before the run: what n8n-core itself costs */
	baseRssMb: number;
	/** the highest heap in use during the run, sampled every 5 ms (garbage not yet collected included) */
	peakHeapMb: number;
	/** heap still in use after the run and a full GC, minus the same before the run: what the run keeps */
	retainedHeapMb: number;
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

/** Samples the heap while `work` runs. */
const collectGarbage = (): void => (globalThis as { gc?: () => void }).gc?.();

async function measured<T>(
	work: () => Promise<T>,
): Promise<{ value: T; baseRssMb: number; peakHeapMb: number; retainedHeapMb: number; seconds: number }> {
	collectGarbage();
	const baseHeap = process.memoryUsage().heapUsed;
	const baseRssMb = mb(process.memoryUsage().rss);
	let peakHeap = process.memoryUsage().heapUsed;
	const sampler = setInterval(() => {
		peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
	}, 5);
	const started = process.hrtime.bigint();
	try {
		const value = await work();
		const seconds = Number(process.hrtime.bigint() - started) / 1e9;
		collectGarbage();
		return { value, baseRssMb, peakHeapMb: mb(peakHeap), retainedHeapMb: mb(process.memoryUsage().heapUsed - baseHeap), seconds };
	} finally {
		clearInterval(sampler);
	}
}

// compiled into .cache/…/bench, the fixtures stay in the project: find them from the working directory
const fixtureDir = path.resolve(process.cwd(), 'test', 'fixtures');

/** One credit of `amount` and the closing balance it gives: the import refuses statements whose balances do not add up. */
function camtWithAmount(template: string, amount: string): string {
	const closing = (18.15 + Number(amount)).toFixed(2);
	return template
		.replace('<Amt Ccy="EUR">8.85</Amt>', `<Amt Ccy="EUR">${amount}</Amt>`)
		.replace(/<Amt Ccy="SEK">27\.00<\/Amt>\s*<CdtDbtInd>DBIT<\/CdtDbtInd>/, `<Amt Ccy="EUR">${closing}</Amt><CdtDbtInd>CRDT</CdtDbtInd>`);
}

function maxRssMb(): number {
	// resourceUsage().maxRSS is in kilobytes on Linux
	return Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
}

async function plainLoop(credentials: SftpCredentials, directory: string, deleteAfter: boolean, noDelay: boolean): Promise<PhaseResult> {
	const client = new SftpClient();
	const run = await measured(async () => {
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
				const content = (await client.get(`${directory}/${entry.name}`)) as Buffer;
				bytes += content.length;
				if (deleteAfter) await client.delete(`${directory}/${entry.name}`);
				files++;
			}
		} finally {
			await client.end();
		}
		if (bytes === 0) throw new Error('nothing downloaded');
		return files;
	});
	return { phase: `plain ssh2-sftp-client loop (list + get${deleteAfter ? ' + delete' : ''}${noDelay ? ', TCP_NODELAY' : ''})`, files: run.value, seconds: run.seconds, maxRssMb: maxRssMb(), baseRssMb: run.baseRssMb, peakHeapMb: run.peakHeapMb, retainedHeapMb: run.retainedHeapMb };
}

async function nodeImport(credentials: SftpCredentials, directory: string, uploadWaitSeconds: number): Promise<PhaseResult> {
	// loaded here: n8n-core is heavy and the plain loop's memory must not include it
	const { RunnerWorkflow } = await import('../test/helpers/workflowRunner');
	const workflow = new RunnerWorkflow({
		name: 'bench',
		nodes: [
			{
				id: 'import',
				name: 'Import',
				type: 'n8n-nodes-backoffice.accountingFtpImport',
				typeVersion: 1,
				position: [0, 0],
				parameters: { operation: 'importPayments', directory, options: { uploadWaitSeconds, maxFiles: 0 } },
				credentials: { backofficeFtpApi: { id: 'sftp', name: 'SFTP' } },
			},
		],
		connections: {},
	});
	const run = await measured(async () => await workflow.run('Import', { credentials: { backofficeFtpApi: n8nCredentialData(credentials) } }));
	const result = run.value;
	if (result.error) throw result.error;
	const payments = result.output('Import', 0);
	const errors = result.output('Import', 1);
	if (errors.length) throw new Error(`the import reported errors: ${JSON.stringify(errors.map((e) => e.json))}`);
	const files = new Set(payments.map((p) => p.json.sourceFile)).size;
	return {
		phase: `node import (readdir + read + hash + parse + remove${uploadWaitSeconds ? `, ${uploadWaitSeconds}s upload wait` : ''})`,
		files,
		payments: payments.length,
		seconds: run.seconds,
		maxRssMb: maxRssMb(),
		baseRssMb: run.baseRssMb,
		peakHeapMb: run.peakHeapMb,
		retainedHeapMb: run.retainedHeapMb,
	};
}

async function child(): Promise<void> {
	const [, , , phase, login, directory, wait] = process.argv;
	const credentials = sftpCredentialsFor(login as Login);
	const result =
		phase === 'node' ? await nodeImport(credentials, directory, Number(wait)) : await plainLoop(credentials, directory, phase.startsWith('plainDelete'), phase.endsWith('NoDelay'));
	process.stdout.write(`${JSON.stringify(result)}\n`);
	// n8n-core keeps timers alive
	process.exit(0);
}

function main(): void {
	const files = Number(process.argv[2] ?? 200);
	const login = (process.argv[3] ?? 'password') as Login;
	const uploadWait = Number(process.argv[4] ?? 0);
	const servers = loadServers();
	const template = readFileSync(path.join(fixtureDir, 'camt053', 'camt053.v2.minimal.xml'), 'utf8');
	/** a fresh directory with the N files, writable for the SFTP users; the phases that delete get one of their own */
	const directoryWithFiles = (label: string): string => {
		const name = `bench-${label}-${Date.now().toString(36)}`;
		const local = path.join(servers.sftp.home, name);
		mkdirSync(local, { recursive: true });
		chmodSync(local, 0o777);
		for (let i = 1; i <= files; i++) {
			const file = path.join(local, `Zahlungen_${String(i).padStart(5, '0')}.xml`);
			writeFileSync(file, camtWithAmount(template, `${i}.00`));
			chmodSync(file, 0o666);
		}
		return name;
	};
	const shared = directoryWithFiles('import');
	const forDelete = directoryWithFiles('delete');
	const forDeleteNoDelay = directoryWithFiles('nodelay');
	const run = (phase: string, name: string): PhaseResult => {
		const out = execFileSync(process.execPath, ['--expose-gc', __filename, 'child', phase, login, `${servers.sftp.loginDirectory}/${name}`, String(uploadWait)], {
			encoding: 'utf8',
			cwd: process.cwd(),
			env: { ...process.env, N8N_LOG_LEVEL: 'silent' },
			stdio: ['ignore', 'pipe', 'inherit'],
			maxBuffer: 64 * 1024 * 1024,
		});
		return JSON.parse(out.trim().split('\n').pop()!) as PhaseResult;
	};
	const results = [run('plain', shared), run('plainDelete', forDelete), run('plainDeleteNoDelay', forDeleteNoDelay), run('node', shared)];
	const left = [shared, forDelete, forDeleteNoDelay].reduce((n, name) => n + readdirSync(path.join(servers.sftp.home, name)).length, 0);
	console.log(`${files} camt.053 files of ${Math.round(Buffer.byteLength(camtWithAmount(template, '1.00')) / 102.4) / 10} KB over SFTP (${login} login), OpenSSH sshd on ${servers.host}, Node ${process.version}`);
	for (const r of results) {
		console.log(
			`${r.phase.padEnd(58)} ${String(r.files).padStart(6)} files  ${(r.files / r.seconds).toFixed(1).padStart(8)} files/s` +
				`  peak RSS ${r.maxRssMb} MB (${r.baseRssMb} before)  heap: peak ${r.peakHeapMb} MB, kept ${r.retainedHeapMb} MB  ${r.seconds.toFixed(2)} s`,
		);
	}
	console.log(`files left after the deleting runs: ${left}`);
	for (const name of [shared, forDelete, forDeleteNoDelay]) rmSync(path.join(servers.sftp.home, name), { recursive: true, force: true });
}

if (process.argv[2] === 'child') {
	child().catch((error: unknown) => {
		console.error(error);
		process.exit(1);
	});
} else {
	main();
}
