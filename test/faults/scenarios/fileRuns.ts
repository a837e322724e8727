/**
 * A node that consumes files (Accounting FTP Import, Order Exchange › Receive) under faults: files arrive a
 * few at a time; each run goes through a fault proxy (FTP with command positions; FTPS and SFTP with byte
 * positions, their commands being encrypted) with one fault placed, a few faults kill the server's sessions or
 * restart it while a command or reply is held, and some runs overlap. Overlapping runs follow n8n: each
 * execution starts from the saved static data and saves its own at the end (the last one wins). Then runs
 * without faults until nothing is left, and every file is accounted: emitted by which runs, and where it ended.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import type { IDataObject, INode, INodeExecutionData } from 'n8n-workflow';

import { RunnerWorkflow, type Credentials, savedWorkflowId } from '../../helpers/workflowRunner';
import { SftpHold } from '../../helpers/sftpHold';
import { byteCut, commandCut } from '../harness/faultChoice';
import { FaultProxy, type FaultRecord, type Framing } from '../harness/faultProxy';
import { Ledger } from '../harness/ledger';
import type { Random } from '../harness/random';

export interface ServerFaultChoice {
	label: string;
	action: () => Promise<void>;
	/** at most this many per scenario (restarts cost seconds) */
	max: number;
}

export interface FileScenario {
	protocol: string;
	/** where files are put, on this machine */
	localDirectory: string;
	/** the node's parameters (without credentials); the workflow has this one node, named 'Node' */
	node: Pick<INode, 'type' | 'parameters'> & Partial<Pick<INode, 'typeVersion'>>;
	/** the server (host, port) the proxy stands in front of, and how it frames the protocol */
	server: { host: string; port: number; framing: Framing };
	/** the node's credentials, with the port moved to the proxy when given */
	credentials(proxyPort?: number): Credentials;
	/** the content of document `id`, and the file name it is put under */
	document(id: string): { name: string; content: Buffer };
	/** the document ids an item of the node's output `output` stands for (none: an item about the run) */
	idsOf(item: INodeExecutionData, output: number): string[];
	/** the id of the document a file name (in the directory or the archive) holds */
	idOfFile(name: string): string | undefined;
	/** subdirectories of the local directory that count as handed over (the archive; the error directory) */
	finalDirectories: string[];
	serverFaults: ServerFaultChoice[];
	/**
	 * SFTP: server faults, and some cuts, at SFTP request positions — sshd's SFTP server holds its reply to the
	 * run's nth request while the server restarts (or drops that reply) — instead of at a byte of the SSH stream
	 */
	sftpRequestFaults?: boolean;
	documents: number;
	hits: number;
	log(line: string): void;
}

function put(dir: string, name: string, content: Buffer): void {
	mkdirSync(dir, { recursive: true });
	chmodSync(dir, 0o777);
	const file = path.join(dir, name);
	writeFileSync(file, content);
	chmodSync(file, 0o666);
}

const filesIn = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name) : []);

/** One execution, as n8n runs it: static data from the saved copy, saved back when the execution ends (if changed). */
async function execution(saved: { staticData: IDataObject }, spec: FileScenario, ledger: Ledger, proxyPort?: number): Promise<string> {
	const loaded = JSON.stringify(saved.staticData);
	const workflow = new RunnerWorkflow({ id: savedWorkflowId(saved),
		nodes: [{ id: 'node', name: 'Node', typeVersion: 1, position: [0, 0], ...spec.node } as INode],
		connections: {},
		staticData: JSON.parse(loaded) as IDataObject,
	});
	// a production run (a schedule, say): n8n saves its static data
	const result = await workflow.run('Node', { credentials: spec.credentials(proxyPort), mode: 'trigger' });
	// n8n keeps static data as JSON in its database and saves it after an execution that changed it
	const now = JSON.stringify(workflow.staticData);
	if (now !== loaded) saved.staticData = JSON.parse(now) as IDataObject;
	if (result.error) return 'failed';
	const runData = result.run.data.resultData.runData.Node?.at(-1);
	const outputs = (runData?.data?.main ?? []) as INodeExecutionData[][];
	outputs.forEach((items, output) => items?.forEach((item) => spec.idsOf(item, output).forEach((id) => ledger.emitted(id))));
	if (process.env.BO_FAULT_VERBOSE) {
		spec.log(`    run: ${outputs.map((items, o) => (items ?? []).map((i) => `${spec.idsOf(i, o).join(',') || '-'}${o ? `(${String(i.json.stage ?? i.json.reason ?? '')}: ${String(i.json.reason ?? i.json.message ?? '').slice(0, 160)})` : ''}`).join(' ')).join(' | ')}`);
	}
	return outputs.map((items) => items?.length ?? 0).join('/');
}

export async function fileScenario(rng: Random, spec: FileScenario): Promise<Ledger> {
	const ledger = new Ledger(spec.protocol, [...spec.finalDirectories, 'deleted']);
	const saved = { staticData: {} as IDataObject };
	const proxy = await new FaultProxy({ host: spec.server.host, port: spec.server.port }, spec.server.framing).start();
	const hold = spec.sftpRequestFaults ? await SftpHold.start() : undefined;
	const serverFaultsUsed = new Map<string, number>();
	let delivered = 0;
	let commands = 30;
	let requests = 40;
	const bytes = { toServer: 3000, toClient: 6000 };
	try {
		for (let round = 0; round < spec.hits * 2 && (ledger.hits < spec.hits || delivered < spec.documents); round++) {
			const count = Math.min(spec.documents - delivered, rng.int(1, 4));
			for (let i = 0; i < count; i++) {
				const id = `${delivered + i + 1}`;
				ledger.add(id);
				const { name, content } = spec.document(id);
				put(spec.localDirectory, name, content);
			}
			delivered += count;
			const serverFault = rng.chance(0.15) ? rng.pick(spec.serverFaults) : undefined;
			const useServerFault = serverFault && (serverFaultsUsed.get(serverFault.label) ?? 0) < serverFault.max ? serverFault : undefined;
			if (useServerFault) serverFaultsUsed.set(useServerFault.label, (serverFaultsUsed.get(useServerFault.label) ?? 0) + 1);
			// SFTP: a server fault, or a reply dropped, at a request position (the hold in sshd)
			const atRequest = hold && (useServerFault || rng.chance(0.25)) ? rng.int(1, requests) : undefined;
			// encrypted sessions: else a byte position, also for a server fault while the connection is held there
			const byteFault = spec.server.framing === 'bytes' ? byteCut(rng, bytes, `${spec.protocol} cut`) : undefined;
			if (atRequest === undefined) {
				proxy.arm(
					byteFault
						? { ...byteFault, ...(useServerFault ? { label: useServerFault.label, whileHeld: useServerFault.action } : {}) }
						: commandCut(rng, commands, useServerFault),
				);
			}
			const overlapping = rng.chance(0.2);
			const began = Date.now();
			const runs = () => Promise.all(Array.from({ length: overlapping ? 2 : 1 }, () => execution(saved, spec, ledger, proxy.port)));
			const { outcomes, record } =
				hold && atRequest !== undefined ? await faultAtRequest(hold, atRequest, useServerFault, runs) : { outcomes: await runs(), record: await proxy.settle() };
			ledger.fault(record);
			if (process.env.BO_FAULT_VERBOSE) spec.log(`  ${record?.label} ${record?.command ?? ''} at ${record?.at} hit=${record?.hit}: ${outcomes.join(' + ')} ${Date.now() - began} ms`);
			// positions up to the length of a whole run (one the fault missed): every part of a run can be hit
			if (!record?.hit && atRequest !== undefined) requests = Math.max(4, atRequest - 1);
			else if (!record?.hit) {
				commands = Math.max(8, proxy.commandsSinceArm);
				for (const d of ['toServer', 'toClient'] as const) bytes[d] = Math.max(500, proxy.longest[d]);
			}
		}
	} finally {
		await proxy.stop();
		await hold?.stop();
	}
	spec.log(`${spec.protocol}: faults ${ledger.faultSummary()}`);
	// recovery: runs without faults until a run has nothing left to do
	for (let i = 0; i < 6; i++) {
		const outcome = await execution(saved, spec, ledger);
		if (/^0(\/0)*$/.test(outcome) && !filesIn(spec.localDirectory).length) break;
	}
	account(spec, ledger);
	return ledger;
}

const SFTP_TYPE_NAMES: Record<number, string> = { 3: 'OPEN', 4: 'CLOSE', 5: 'READ', 6: 'WRITE', 7: 'LSTAT', 11: 'OPENDIR', 12: 'READDIR', 13: 'REMOVE', 14: 'MKDIR', 16: 'REALPATH', 17: 'STAT', 18: 'RENAME' };

/**
 * The runs, with sshd's SFTP server holding its reply to request `nth` (of any type) of a session: while held,
 * the server fault happens (then the reply is released to a session that is gone), or without one the reply is
 * dropped (the request was carried out, its SFTP server ends). A run that ends before request `nth` is a miss.
 */
async function faultAtRequest(
	hold: SftpHold,
	nth: number,
	serverFault: ServerFaultChoice | undefined,
	runs: () => Promise<string[]>,
): Promise<{ outcomes: string[]; record: FaultRecord }> {
	const record: FaultRecord = { label: serverFault ? `${serverFault.label} at a request` : 'SFTP reply dropped', point: 'afterCommand', at: nth, hit: false };
	hold.arm({ type: 0, nth });
	const running = runs();
	const held = await Promise.race([hold.held(), running.then(() => undefined, () => undefined)]);
	if (!held) {
		hold.disarm();
		return { outcomes: await running, record };
	}
	record.hit = true;
	record.command = SFTP_TYPE_NAMES[held.type] ?? `type ${held.type}`;
	if (!serverFault) hold.drop();
	else {
		try {
			await serverFault.action();
		} finally {
			hold.release();
		}
	}
	return { outcomes: await running, record };
}

/** Where each file ended: still in the directory, in the archive / error directory, or gone (deleted). */
function account(spec: FileScenario, ledger: Ledger): void {
	const seen = new Set<string>();
	const note = (name: string, place: string) => {
		const id = spec.idOfFile(name);
		if (id === undefined) return;
		seen.add(id);
		ledger.foundIn(id, place);
	};
	for (const name of filesIn(spec.localDirectory)) note(name, 'directory');
	for (const dir of spec.finalDirectories) for (const name of filesIn(path.join(spec.localDirectory, dir))) note(name, dir);
	for (let i = 1; ledger.entry(String(i)); i++) if (!seen.has(String(i))) ledger.foundIn(String(i), 'deleted');
}
