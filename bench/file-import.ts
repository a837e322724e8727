/**
 * The frame of bench/ftp-import.ts and bench/sftp-import.ts: how fast is the Accounting FTP Import, and what does
 * it cost in memory, next to the least a client library can do over the same files and the same server?
 *
 * Puts N camt.053 payment files (each with its own amount) into fresh directories of the test server, then runs
 * each phase in a child process of its own, so that the peak memory (maxRSS) belongs to one approach:
 *   - the protocol's plain loops: one session of the bare client library, list + download of every file into
 *     memory (and delete it after the download, what the node's default mode costs on the wire);
 *   - node: one run of the Accounting FTP Import node through n8n's engine (RunnerWorkflow): list, download,
 *     SHA-256, parse, payment items, delete of every file; upload wait 0 unless given (the node's default
 *     2.5 s wait is a fixed cost per run, not per file);
 *   - n8n's own FTP node (n8n-nodes-base from scripts/n8n-server, run by n8n-core): List → Download → Delete,
 *     the workflow a user of n8n builds for the same job (over plain FTP and SFTP: the node has no FTPS).
 * `--nodeVersion=1|2` (default 2) picks the node's version (2 deletes or archives at the execution's end).
 * With `--rounds=R` (default 1) every phase runs R times, the order rotated each round; printed: files/s and
 * memory of each run, the ratios of the node's files/s to each deleting phase's per round, and their medians.
 * The protocol (server, credentials, plain loops) is the parameter.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import type { ICredentialDataDecryptedObject, INodeType } from 'n8n-workflow';

import type { FtpCredentials } from '../nodes/shared/transports/ftp';
import type { SftpCredentials } from '../nodes/shared/transports/sftp';
import { camtFromTemplate } from '../test/helpers/remoteFiles';
import { loadServers, n8nCredentialData, type TestServers } from '../test/helpers/servers';

export interface ComparedPhase {
	/** its name on the command line of the child process */
	id: string;
	label: string;
	/** whether it deletes each file after its download */
	deletes: boolean;
	/** loads what the phase needs (not measured) */
	prepare?(): Promise<void>;
	/** lists `directory`, downloads every file into memory, deletes it if the phase says so; the bytes downloaded */
	run(directory: string): Promise<{ files: number; bytes: number }>;
}

/** What differs between the protocols; `option` is the bench's second argument (FTP: protocol, SFTP: login). */
export interface FileProtocol<C extends FtpCredentials | SftpCredentials> {
	defaultOption: string;
	credentials(option: string): C;
	/** the login directory on this machine, and a directory in it as the server's user names it */
	home(servers: TestServers): string;
	remotePath(servers: TestServers, name: string): string;
	comparisons(credentials: C): ComparedPhase[];
	/** what the node does on the wire, for the label */
	nodeSteps: string;
	describe(servers: TestServers, option: string): string;
}

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
const collectGarbage = (): void => (globalThis as { gc?: () => void }).gc?.();
// resourceUsage().maxRSS is in kilobytes on Linux
const maxRssMb = (): number => Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;

/** Runs `work`, sampling the heap meanwhile. */
async function measured<T>(work: () => Promise<T>): Promise<{ value: T; baseRssMb: number; peakHeapMb: number; retainedHeapMb: number; seconds: number }> {
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

/**
 * n8n's FTP node: three nodes (List → Download → Delete), each opening its own session for all items, as n8n's
 * node does; `credentials` in the shape of n8n's `ftp` / `sftp` credential.
 */
export function n8nFtpNodePhase(protocol: 'ftp' | 'sftp', credentials: ICredentialDataDecryptedObject): ComparedPhase {
	let workflow: InstanceType<typeof import('../test/helpers/workflowRunner').RunnerWorkflow> | undefined;
	const node = (name: string, x: number, parameters: Record<string, unknown>) => ({
		id: name,
		name,
		type: 'n8n-nodes-base.ftp',
		typeVersion: 1,
		position: [x, 0] as [number, number],
		parameters: { protocol, ...parameters },
		credentials: { [protocol]: { id: protocol, name: protocol } },
	});
	return {
		id: 'n8nFtp',
		label: `n8n's FTP node (${protocol}): List → Download → Delete`,
		deletes: true,
		prepare: async () => {
			const { RunnerWorkflow } = await import('../test/helpers/workflowRunner');
			const file = path.resolve('scripts/n8n-server/node_modules/n8n-nodes-base/dist/nodes/Ftp/Ftp.node.js');
			// eslint-disable-next-line @typescript-eslint/no-require-imports
			const { Ftp } = require(file) as { Ftp: new () => INodeType };
			workflow = new RunnerWorkflow(
				{
					name: 'bench-n8n-ftp',
					nodes: [
						node('List', 0, { operation: 'list', path: '={{ $json.directory }}' }),
						node('Download', 200, { operation: 'download', path: '={{ $json.path }}', binaryPropertyName: 'data' }),
						node('Delete', 400, { operation: 'delete', path: '={{ $json.path }}' }),
					],
					connections: {
						List: { main: [[{ node: 'Download', type: 'main', index: 0 }]] },
						Download: { main: [[{ node: 'Delete', type: 'main', index: 0 }]] },
					},
				},
				new Map([['n8n-nodes-base.ftp', new Ftp()]]),
			);
		},
		run: async (directory) => {
			const result = await workflow!.run('List', { input: [[{ json: { directory } }]], credentials: { [protocol]: credentials } });
			if (result.error) throw result.error;
			// in-memory binary data (RunnerWorkflow's default): base64 in the item
			const bytes = result.output('Download', 0).reduce((sum, item) => sum + Buffer.byteLength(item.binary?.data?.data ?? '', 'base64'), 0);
			return { files: result.output('Delete', 0).length, bytes };
		},
	};
}

async function plainLoop(phase: ComparedPhase, directory: string): Promise<PhaseResult> {
	await phase.prepare?.();
	const run = await measured(() => phase.run(directory));
	if (run.value.bytes === 0) throw new Error('nothing downloaded');
	const { seconds, baseRssMb, peakHeapMb, retainedHeapMb } = run;
	return { phase: phase.label, files: run.value.files, seconds, maxRssMb: maxRssMb(), baseRssMb, peakHeapMb, retainedHeapMb };
}

async function nodeImport(
	credentials: FtpCredentials | SftpCredentials,
	directory: string,
	uploadWaitSeconds: number,
	steps: string,
	typeVersion: number,
): Promise<PhaseResult> {
	// loaded here: n8n-core is heavy and the plain loop's memory must not include it
	const { RunnerWorkflow } = await import('../test/helpers/workflowRunner');
	if (typeVersion >= 2) {
		// version 2 records its files in n8n's processed-data store at the execution's end: the store (n8n's database,
		// in a child process of the runner) is started before the clock, as it runs before any execution in n8n
		const { DataDeduplicationService } = await import('n8n-core');
		await DataDeduplicationService.getInstance().getProcessedDataCount('node', { workflow: { id: 'bench-warm-up', active: false } as never, node: { id: 'warm-up' } as never }, { mode: 'entries' });
	}
	const workflow = new RunnerWorkflow({
		name: 'bench',
		nodes: [
			{
				id: 'import',
				name: 'Import',
				type: 'n8n-nodes-backoffice.accountingFtpImport',
				typeVersion,
				position: [0, 0],
				parameters: { operation: 'importPayments', directory, options: { uploadWaitSeconds, maxFiles: 0 } },
				credentials: { backofficeFtpApi: { id: 'files', name: 'Files' } },
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
	const { seconds, baseRssMb, peakHeapMb, retainedHeapMb } = run;
	return {
		phase: `node v${typeVersion} import (${steps}${typeVersion >= 2 ? ', deletes at the end' : ''}${uploadWaitSeconds ? `, ${uploadWaitSeconds}s upload wait` : ''})`,
		files: new Set(payments.map((p) => p.json.sourceFile)).size,
		payments: payments.length,
		seconds,
		maxRssMb: maxRssMb(),
		baseRssMb,
		peakHeapMb,
		retainedHeapMb,
	};
}

/** In the child process: one phase, its result as a line of JSON. */
async function child<C extends FtpCredentials | SftpCredentials>(protocol: FileProtocol<C>): Promise<void> {
	const [, , , phase, option, directory, wait, typeVersion] = process.argv;
	const credentials = protocol.credentials(option);
	// n8n's processed-data store answers over an unref'd IPC channel (test/helpers/processedData.ts): without a
	// handle of its own the process would end while it waits for an answer
	setInterval(() => undefined, 60_000);
	const plain = protocol.comparisons(credentials).find((p) => p.id === phase);
	const result = plain ? await plainLoop(plain, directory) : await nodeImport(credentials, directory, Number(wait), protocol.nodeSteps, Number(typeVersion));
	process.stdout.write(`${JSON.stringify(result)}\n`);
	// n8n-core keeps timers alive
	process.exit(0);
}

const median = (values: number[]): number => {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

function printResult(r: PhaseResult): void {
	console.log(
		`${r.phase.padEnd(62)} ${String(r.files).padStart(6)} files  ${(r.files / r.seconds).toFixed(1).padStart(8)} files/s` +
			`  peak RSS ${r.maxRssMb} MB (${r.baseRssMb} before)  heap: peak ${r.peakHeapMb} MB, kept ${r.retainedHeapMb} MB  ${r.seconds.toFixed(2)} s`,
	);
}

function main<C extends FtpCredentials | SftpCredentials>(protocol: FileProtocol<C>): void {
	const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
	const rounds = Number(process.argv.find((a) => a.startsWith('--rounds='))?.split('=')[1] ?? 1);
	// the node's version: 2 (default, every node added now) deletes or archives at the execution's end, 1 while it runs
	const typeVersion = Number(process.argv.find((a) => a.startsWith('--nodeVersion='))?.split('=')[1] ?? 2);
	const files = Number(args[0] ?? 200);
	const option = args[1] ?? protocol.defaultOption;
	const uploadWait = Number(args[2] ?? 0);
	const servers = loadServers();
	// compiled into .cache/…/bench, the fixtures stay in the project: find them from the working directory
	const template = readFileSync(path.resolve(process.cwd(), 'test', 'fixtures', 'camt053', 'camt053.v2.minimal.xml'), 'utf8');
	const home = protocol.home(servers);
	/** a fresh directory with the N files, writable for the server's user */
	const directoryWithFiles = (label: string): string => {
		const name = `bench-${label}-${Date.now().toString(36)}`;
		const local = path.join(home, name);
		mkdirSync(local, { recursive: true });
		chmodSync(local, 0o777);
		for (let i = 1; i <= files; i++) {
			const file = path.join(local, `Zahlungen_${String(i).padStart(5, '0')}.xml`);
			writeFileSync(file, camtFromTemplate(template, `${i}.00`));
			chmodSync(file, 0o666);
		}
		return name;
	};
	/** one phase in a child process of its own, on a fresh directory (the phases that delete leave nothing) */
	const run = (phase: { id: string; deletes: boolean }): PhaseResult => {
		const directory = directoryWithFiles(phase.id);
		try {
			const out = execFileSync(process.execPath, ['--expose-gc', process.argv[1], 'child', phase.id, option, protocol.remotePath(servers, directory), String(uploadWait), String(typeVersion)], {
				encoding: 'utf8',
				cwd: process.cwd(),
				env: { ...process.env, N8N_LOG_LEVEL: 'silent' },
				stdio: ['ignore', 'pipe', 'inherit'],
				maxBuffer: 64 * 1024 * 1024,
			});
			const left = readdirSync(path.join(home, directory)).length;
			if (phase.deletes && left) throw new Error(`${phase.id} left ${left} of ${files} files`);
			return JSON.parse(out.trim().split('\n').pop()!) as PhaseResult;
		} finally {
			rmSync(path.join(home, directory), { recursive: true, force: true });
		}
	};
	const plain = protocol.comparisons(protocol.credentials(option)).map((p) => ({ id: p.id, deletes: p.deletes }));
	const phases = [...plain, { id: 'node', deletes: true }];
	console.log(`${files} camt.053 files of ${Math.round(Buffer.byteLength(camtFromTemplate(template, '1.00')) / 102.4) / 10} KB ${protocol.describe(servers, option)}, Node ${process.version}, ${rounds} round(s)`);
	/** per deleting phase: the node's files/s divided by that phase's, one per round */
	const ratios = new Map<string, number[]>();
	for (let round = 0; round < rounds; round++) {
		const order = phases.map((_, i) => phases[(i + round) % phases.length]);
		const results = new Map(order.map((p) => [p.id, run(p)] as const));
		const rate = (id: string) => results.get(id)!.files / results.get(id)!.seconds;
		console.log(`round ${round + 1} (order: ${order.map((p) => p.id).join(', ')})`);
		for (const p of phases) printResult(results.get(p.id)!);
		for (const p of phases.filter((q) => q.deletes && q.id !== 'node')) {
			const ratio = rate('node') / rate(p.id);
			ratios.set(results.get(p.id)!.phase, [...(ratios.get(results.get(p.id)!.phase) ?? []), ratio]);
			console.log(`  node ÷ ${results.get(p.id)!.phase}: ${ratio.toFixed(2)}`);
		}
	}
	console.log('medians of the per-round ratios (node files/s ÷ other files/s):');
	for (const [phase, values] of ratios) console.log(`  node ÷ ${phase}: ${median(values).toFixed(2)} (${values.map((v) => v.toFixed(2)).join(', ')})`);
}

/** The bench's entry: the parent sets up and prints, each phase runs in a child of the same script. */
export function runFileImportBench<C extends FtpCredentials | SftpCredentials>(protocol: FileProtocol<C>): void {
	if (process.argv[2] === 'child') {
		child(protocol).catch((error: unknown) => {
			console.error(error);
			process.exit(1);
		});
	} else {
		main(protocol);
	}
}
