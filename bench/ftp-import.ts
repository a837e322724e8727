/**
 * How fast is the Accounting FTP Import, and what does it cost in memory, next to the least any FTP client
 * can do: a plain basic-ftp loop that lists the directory and downloads every file over one session?
 *
 * Puts N camt.053 payment files (default 200, each with its own amount) into a fresh directory of the test
 * vsftpd, then, each in a child process of its own so that the peak memory (maxRSS) belongs to one approach:
 *   1. plain: basic-ftp, one session, LIST + RETR of every file into memory, nothing else;
 *   2. plain + DELE: the same, deleting each file after its download (what the node's default mode costs on the wire);
 *   3. node:  one run of the Accounting FTP Import node through n8n's engine (RunnerWorkflow): LIST, RETR,
 *      SHA-256, parse, payment items, DELE of every file; upload wait 0 unless given (the node's default
 *      2.5 s wait is a fixed cost per run, not per file);
 *   4. over plain FTP only: n8n's own FTP node (from scripts/n8n-server's n8n-nodes-base), List → Download → Delete.
 * Prints files/s, payments/s and peak memory of each.
 *
 * Not a test. Needs the test servers (`bash scripts/test-servers.sh start`). Run from the project root (the
 * sources use extensionless imports, which Node's own type stripping cannot resolve, so compile first; into
 * .cache/, so that basic-ftp and n8n-core resolve from the project's node_modules):
 *
 *   source scripts/node24.sh
 *   npx tsc --outDir .cache/bench-ftp-import --rootDir . --module commonjs --target es2023 --strict \
 *     --esModuleInterop --skipLibCheck --resolveJsonModule --types node bench/ftp-import.ts
 *   node .cache/bench-ftp-import/bench/ftp-import.js [files=200] [protocol=ftpsExplicit|ftp|ftpsImplicit] [uploadWaitSeconds=0]
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';

import { Client } from 'basic-ftp';

import type { INodeType } from 'n8n-workflow';

import type { FtpCredentials, FtpProtocol } from '../nodes/shared/transports/ftp';
import { ftpCredentialsFor, loadServers, n8nCredentialData } from '../test/helpers/servers';

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

function camtWithAmount(template: string, amount: string): string {
	// the closing balance (CLBD) must be the opening one (18.15 EUR) plus the entry, or the import refuses the file
	const closing = (18.15 + Number(amount)).toFixed(2);
	return template
		.replace('<Amt Ccy="EUR">8.85</Amt>', `<Amt Ccy="EUR">${amount}</Amt>`)
		.replace(/<Amt Ccy="SEK">27\.00<\/Amt>(\s*)<CdtDbtInd>DBIT<\/CdtDbtInd>/, `<Amt Ccy="EUR">${closing}</Amt>$1<CdtDbtInd>CRDT</CdtDbtInd>`);
}

function maxRssMb(): number {
	// resourceUsage().maxRSS is in kilobytes on Linux
	return Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
}

async function plainLoop(credentials: FtpCredentials, directory: string, deleteAfter: boolean): Promise<PhaseResult> {
	const client = new Client(120_000);
	const run = await measured(async () => {
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
				await client.downloadTo(
					new Writable({
						write(chunk: Buffer, _enc, callback) {
							chunks.push(chunk);
							callback();
						},
					}),
					`${directory}/${info.name}`,
				);
				bytes += Buffer.concat(chunks).length;
				if (deleteAfter) await client.remove(`${directory}/${info.name}`);
				files++;
			}
		} finally {
			client.close();
		}
		if (bytes === 0) throw new Error('nothing downloaded');
		return files;
	});
	return { phase: `plain basic-ftp loop (LIST + RETR${deleteAfter ? ' + DELE' : ''})`, files: run.value, seconds: run.seconds, maxRssMb: maxRssMb(), baseRssMb: run.baseRssMb, peakHeapMb: run.peakHeapMb, retainedHeapMb: run.retainedHeapMb };
}

async function nodeImport(credentials: FtpCredentials, directory: string, uploadWaitSeconds: number): Promise<PhaseResult> {
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
				credentials: { backofficeFtpApi: { id: 'ftp', name: 'FTP' } },
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
		phase: `node import (LIST + RETR + hash + parse + DELE${uploadWaitSeconds ? `, ${uploadWaitSeconds}s upload wait` : ''})`,
		files,
		payments: payments.length,
		seconds: run.seconds,
		maxRssMb: maxRssMb(),
		baseRssMb: run.baseRssMb,
		peakHeapMb: run.peakHeapMb,
		retainedHeapMb: run.retainedHeapMb,
	};
}

/**
 * n8n's own FTP node (n8n-nodes-base from scripts/n8n-server, run by n8n-core): List → Download → Delete, the
 * workflow a user builds for the same job; each of the three nodes opens its own session for all items.
 */
async function n8nFtpNodes(credentials: FtpCredentials, directory: string): Promise<PhaseResult> {
	const { RunnerWorkflow } = await import('../test/helpers/workflowRunner');
	const file = path.resolve('scripts/n8n-server/node_modules/n8n-nodes-base/dist/nodes/Ftp/Ftp.node.js');
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	const { Ftp } = require(file) as { Ftp: new () => INodeType };
	const ftpNode = (name: string, x: number, parameters: Record<string, unknown>) => ({
		id: name,
		name,
		type: 'n8n-nodes-base.ftp',
		typeVersion: 1,
		position: [x, 0] as [number, number],
		parameters: { protocol: 'ftp', ...parameters },
		credentials: { ftp: { id: 'ftp', name: 'FTP' } },
	});
	const workflow = new RunnerWorkflow(
		{
			name: 'bench-n8n-ftp',
			nodes: [
				ftpNode('List', 0, { operation: 'list', path: directory }),
				ftpNode('Download', 200, { operation: 'download', path: '={{ $json.path }}', binaryPropertyName: 'data' }),
				ftpNode('Delete', 400, { operation: 'delete', path: '={{ $json.path }}' }),
			],
			connections: {
				List: { main: [[{ node: 'Download', type: 'main', index: 0 }]] },
				Download: { main: [[{ node: 'Delete', type: 'main', index: 0 }]] },
			},
		},
		new Map([['n8n-nodes-base.ftp', new Ftp()]]),
	);
	const ftp = { host: credentials.host, port: credentials.port ?? 21, username: credentials.user, password: credentials.password };
	const run = await measured(async () => await workflow.run('List', { credentials: { ftp } }));
	if (run.value.error) throw run.value.error;
	const files = run.value.output('Delete', 0).length;
	return { phase: "n8n's FTP node: List → Download → Delete", files, seconds: run.seconds, maxRssMb: maxRssMb(), baseRssMb: run.baseRssMb, peakHeapMb: run.peakHeapMb, retainedHeapMb: run.retainedHeapMb };
}

async function child(): Promise<void> {
	const [, , , phase, protocol, directory, wait] = process.argv;
	const credentials = ftpCredentialsFor({ protocol: protocol as FtpProtocol });
	const result =
		phase === 'node'
			? await nodeImport(credentials, directory, Number(wait))
			: phase === 'n8nFtp'
				? await n8nFtpNodes(credentials, directory)
				: await plainLoop(credentials, directory, phase === 'plainDelete');
	process.stdout.write(`${JSON.stringify(result)}\n`);
	// n8n-core keeps timers alive
	process.exit(0);
}

function main(): void {
	const files = Number(process.argv[2] ?? 200);
	const protocol = (process.argv[3] ?? 'ftpsExplicit') as FtpProtocol;
	const uploadWait = Number(process.argv[4] ?? 0);
	const servers = loadServers();
	const template = readFileSync(path.join(fixtureDir, 'camt053', 'camt053.v2.minimal.xml'), 'utf8');
	/** a fresh directory with the N files; the phases that delete get one of their own */
	const directoryWithFiles = (label: string): string => {
		const name = `bench-${label}-${Date.now().toString(36)}`;
		const local = path.join(servers.ftp.home, name);
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
	const run = (phase: string, name: string): PhaseResult => {
		const out = execFileSync(process.execPath, ['--expose-gc', __filename, 'child', phase, protocol, `/${name}`, String(uploadWait)], {
			encoding: 'utf8',
			cwd: process.cwd(),
			env: { ...process.env, N8N_LOG_LEVEL: 'silent' },
			stdio: ['ignore', 'pipe', 'inherit'],
			maxBuffer: 64 * 1024 * 1024,
		});
		return JSON.parse(out.trim().split('\n').pop()!) as PhaseResult;
	};
	const forN8n = protocol === 'ftp' ? directoryWithFiles('n8n') : undefined;
	const results = [run('plain', shared), run('plainDelete', forDelete), run('node', shared)];
	// n8n's FTP node speaks plain FTP or SFTP only (no FTPS): compared over plain FTP
	if (forN8n) results.push(run('n8nFtp', forN8n));
	const left = [shared, forDelete, ...(forN8n ? [forN8n] : [])].reduce((sum, name) => sum + readdirSync(path.join(servers.ftp.home, name)).length, 0);
	console.log(`${files} camt.053 files of ${Math.round(Buffer.byteLength(camtWithAmount(template, '1.00')) / 102.4) / 10} KB over ${protocol}, vsftpd on ${servers.host}, Node ${process.version}`);
	for (const r of results) {
		console.log(
			`${r.phase.padEnd(58)} ${String(r.files).padStart(6)} files  ${(r.files / r.seconds).toFixed(1).padStart(8)} files/s` +
				`  peak RSS ${r.maxRssMb} MB (${r.baseRssMb} before)  heap: peak ${r.peakHeapMb} MB, kept ${r.retainedHeapMb} MB  ${r.seconds.toFixed(2)} s`,
		);
	}
	console.log(`files left after the deleting runs: ${left}`);
	const rate = (r: PhaseResult) => r.files / r.seconds;
	console.log(`ratios (files/s): node / plain + DELE ${(rate(results[2]) / rate(results[1])).toFixed(2)}` + (forN8n ? `, node / n8n's FTP node ${(rate(results[2]) / rate(results[3])).toFixed(2)}` : ''));
	for (const name of [shared, forDelete, ...(forN8n ? [forN8n] : [])]) rmSync(path.join(servers.ftp.home, name), { recursive: true, force: true });
}

if (process.argv[2] === 'child') {
	child().catch((error: unknown) => {
		console.error(error);
		process.exit(1);
	});
} else {
	main();
}
