/**
 * Benchmark (not a test): one poll of the Delivery Note IMAP Trigger over N mails, next to a plain imapflow
 * script that does the least the same job needs (search, fetch structure, download the attachment, move),
 * so the ratio shows what the trigger costs on top of the protocol work; and next to n8n's own Email Trigger
 * (IMAP). Each variant runs in a child process of its own, the order rotated each round (`--rounds=R`); the
 * trigger's mails/s divided by each other variant's is printed per round and as medians.
 *
 * Run from the repository root (test servers up: `scripts/test-servers.sh start`; N defaults to 1000):
 *   source scripts/node24.sh
 *   npx tsc --outDir .cache/bench --rootDir . --strict --module commonjs --target es2023 --esModuleInterop \
 *     --resolveJsonModule --skipLibCheck --types node bench/imap-trigger.ts nodes/shared/transports/libqp.d.ts
 *   node .cache/bench/bench/imap-trigger.js 1000 [--rounds=5] [--document=small|itscope]
 * (.cache/ is git-ignored and inside the project, so that the compiled files find node_modules.)
 * Run it on an account without leftovers: a box that ran `npm test` keeps hundreds of test folders in alice's
 * account, and the trigger lists the account's folders once per poll (a LIST of ~500 folders took 20–35 ms here,
 * of 2 folders under 1 ms; the plain loop and n8n's trigger list none) — delete them first, or the ratios show the
 * leftovers.
 *
 * Printed per variant: mails/s and peak memory above the level before the run: RSS sampled every 10 ms during
 * the timed run, and (with --expose-gc) the live heap, sampled after a forced GC every 50 ms during a second
 * run on fresh mails. The trigger's time includes n8n running the workflow with the N items. Also printed: the CPU
 * time the timed run took on the whole machine (Dovecot included; read it on an idle box), on node's thread and on
 * its other threads (V8's compilers and GC), how busy that kept the cores, and per round the other variant's CPU per
 * mail ÷ the trigger's — the speed ratio the two would show if both kept the cores equally busy. Where the cores
 * are the limit (two cores shared by node, V8's compiler threads and Dovecot) the speed ratio follows that one.
 */
import { ImapFlow } from 'imapflow';
import MailComposer from 'nodemailer/lib/mail-composer';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { IVersionedNodeType } from 'n8n-workflow';

import { withImapClient } from '../nodes/shared/transports/imap';
import { uidSet } from '../nodes/shared/transports/imapSource';
import { multiAppend } from '../test/helpers/imapAppend';
import { imapCredentialsFor, loadServers, n8nCredentialData } from '../test/helpers/servers';
import { RunnerWorkflow } from '../test/helpers/workflowRunner';

const N = Number(process.argv[2] ?? 1000);
const SENDER = 'lieferschein@bench.example';
const credentials = imapCredentialsFor('alice', { security: 'none' });
/**
 * The attachment (run from the repository root: the compiled script lives elsewhere): `--document=small`, a
 * 2.4 KB openTRANS dispatch notification (the default so far), or `--document=itscope`, ITscope's real 8.8 KB one
 * (the "10 KB openTRANS attachment"); each mail's copy gets its own DISPATCHNOTIFICATION_ID.
 */
const DOCUMENTS: Record<string, string> = {
	small: 'test/fixtures/opentrans/minimal_valid_dispatchnotification_with_delivery_reference.xml',
	itscope: 'test/fixtures/opentrans/dispatchnotification-itscope.xml',
};
const documentName = process.argv.find((a) => a.startsWith('--document='))?.split('=')[1] ?? 'small';
if (!DOCUMENTS[documentName]) throw new Error(`--document= takes ${Object.keys(DOCUMENTS).join(' or ')}`);
const template = readFileSync(path.resolve(DOCUMENTS[documentName]), 'utf8');
const withId = (i: number) =>
	template.replace(/(<DISPATCHNOTIFICATION_ID>)[^]*?(<\/DISPATCHNOTIFICATION_ID>)/, `$1LS-${i}$2`);

const gc = (globalThis as { gc?: () => void }).gc;

/** the folders this process made, children first: removed again when it ends */
const made: string[] = [];

async function folders(name: string) {
	const base = `INBOX/bench-${name}-${Date.now().toString(36)}`;
	const f = { inbox: `${base}/Eingang`, archive: `${base}/Archiv`, error: `${base}/Fehler` };
	await withImapClient(credentials, async (client) => {
		for (const p of [base, f.inbox, f.archive, f.error]) await client.mailboxCreate(p.split('/'));
	});
	made.unshift(f.inbox, f.archive, f.error, base);
	return f;
}

/**
 * Keeps the account at the size of a user's (a few dozen folders): Dovecot's LIST, and the RENAME of the
 * trigger's lease, take longer with every folder, and runs of the benches and tests would leave thousands.
 */
async function removeFolders(): Promise<void> {
	await withImapClient(credentials, async (client) => {
		for (const path of made.splice(0)) await client.mailboxDelete(path);
	});
}

async function fill(folder: string): Promise<void> {
	const mails = await Promise.all(
		Array.from({ length: N }, (_, i) =>
			new MailComposer({
				from: SENDER,
				to: loadServers().users.alice.address,
				subject: `Lieferavis ${i}`,
				text: 'Anbei der Lieferschein.',
				attachments: [{ filename: `LS-${i}.xml`, content: withId(i), contentType: 'application/xml' }],
			})
				.compile()
				.build(),
		),
	);
	await multiAppend(credentials, folder, mails);
}

/**
 * CPU time (ms) used while a variant's timed run ran: by the whole machine (every core and process, from
 * /proc/stat: Dovecot included; read it on an idle box), by this process, and by its main thread (the rest of the
 * process is V8's compiler and GC threads). Linux only; elsewhere only the process's own figures.
 */
interface CpuUse {
	machineMs?: number;
	processMs: number;
	/** undefined on a Node without process.threadCpuUsage (before 23.9; the scripts' Node 24 has it) */
	mainThreadMs?: number;
}

const CLOCK_TICKS_PER_SECOND = (() => {
	try {
		return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
	} catch {
		return 100;
	}
})();

/** Busy time of all cores so far (user, nice, system, irq, softirq, steal; not idle or iowait), in ms. */
function machineBusyMs(): number | undefined {
	try {
		const [user, nice, system, , , irq, softirq, steal = 0] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
		return ((user + nice + system + irq + softirq + steal) * 1000) / CLOCK_TICKS_PER_SECOND;
	} catch {
		return undefined;
	}
}

/** Starts counting CPU; the returned function stops and reports. */
function countCpu(): () => CpuUse {
	const machine = machineBusyMs();
	const process0 = process.cpuUsage();
	const threadCpu = typeof process.threadCpuUsage === 'function' ? process.threadCpuUsage.bind(process) : undefined;
	const main0 = threadCpu?.();
	return () => {
		const ms = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
		const machineNow = machineBusyMs();
		return {
			machineMs: machine === undefined || machineNow === undefined ? undefined : machineNow - machine,
			processMs: ms(process.cpuUsage(process0)),
			mainThreadMs: threadCpu && main0 ? ms(threadCpu(main0)) : undefined,
		};
	};
}

const CORES = os.availableParallelism();

function describeCpu(cpu: CpuUse, seconds: number): string {
	const own =
		cpu.mainThreadMs === undefined
			? `node ${cpu.processMs.toFixed(0)}`
			: `node's thread ${cpu.mainThreadMs.toFixed(0)}, its other threads (V8's compilers, GC) ${(cpu.processMs - cpu.mainThreadMs).toFixed(0)}`;
	if (cpu.machineMs === undefined) return `CPU ms: ${own}`;
	const busy = cpu.machineMs / (CORES * seconds * 1000);
	return `CPU ms: machine ${cpu.machineMs.toFixed(0)} (${own}, the rest — Dovecot — ${(cpu.machineMs - cpu.processMs).toFixed(0)}), ${CORES} cores ${(busy * 100).toFixed(0)} % busy`;
}

interface Measurement {
	mails: number;
	seconds: number;
	cpu: CpuUse;
	/** the most memory that was live at once above the level before the run (sampled after a forced GC) */
	liveHeapMb?: number;
	rssMb: number;
}

/**
 * Runs `work` twice on fresh mails: once timed (only RSS sampled), once with a forced GC every 50 ms to
 * see the live heap, which a plain heapUsed sample hides under garbage not yet collected.
 */
async function measure(label: string, prepare: () => Promise<() => Promise<number>>): Promise<Measurement> {
	const run = async (sampleLiveHeap: boolean) => {
		const work = await prepare();
		gc?.();
		const base = process.memoryUsage();
		let peakRss = base.rss;
		let peakHeap = base.heapUsed;
		const sampler = setInterval(
			() => {
				if (sampleLiveHeap) gc?.();
				const m = process.memoryUsage();
				peakRss = Math.max(peakRss, m.rss);
				peakHeap = Math.max(peakHeap, m.heapUsed);
			},
			sampleLiveHeap ? 50 : 10,
		);
		const stopCounting = countCpu();
		const started = process.hrtime.bigint();
		const mails = await work();
		const seconds = Number(process.hrtime.bigint() - started) / 1e9;
		const cpu = stopCounting();
		clearInterval(sampler);
		return { mails, seconds, cpu, rssMb: (peakRss - base.rss) / 2 ** 20, heapMb: (peakHeap - base.heapUsed) / 2 ** 20 };
	};
	const timed = await run(false);
	const result: Measurement = { mails: timed.mails, seconds: timed.seconds, cpu: timed.cpu, rssMb: timed.rssMb };
	if (gc) result.liveHeapMb = (await run(true)).heapMb;
	console.log(
		`${label.padEnd(34)} ${String(result.mails).padStart(6)} mails  ${result.seconds.toFixed(2).padStart(6)} s  ` +
			`${(result.mails / result.seconds).toFixed(0).padStart(5)} mails/s  peak +${result.rssMb.toFixed(1)} MB RSS` +
			(result.liveHeapMb !== undefined ? `, +${result.liveHeapMb.toFixed(1)} MB live heap` : ' (run with --expose-gc for the live heap)') +
			`\n${''.padEnd(36)}${describeCpu(result.cpu, result.seconds)}`,
	);
	return result;
}

/** The trigger, as an active workflow runs it: poll() in a PollContext, then the workflow with the items; timed is a poll after an earlier one. */
async function triggerPoll(): Promise<Measurement> {
	return await measure('Delivery Note IMAP Trigger, 1 poll', async () => {
		const f = await folders('trigger');
		const locator = (value: string) => ({ __rl: true, mode: 'path', value });
		const workflow = new RunnerWorkflow({
			nodes: [
				{
					id: 'trigger',
					name: 'Trigger',
					type: 'n8n-nodes-backoffice.deliveryNoteImapTrigger',
					typeVersion: 1,
					position: [0, 0],
					parameters: {
						inboxFolder: locator(f.inbox),
						archiveFolder: locator(f.archive),
						errorFolder: locator(f.error),
						suppliers: { supplier: [{ name: 'Bench', sender: SENDER, format: 'opentrans' }] },
						options: { maxMailsPerPoll: N },
					},
					credentials: { backofficeImapApi: { id: '1', name: 'bench' } },
				},
			],
			connections: {},
		});
		const poll = async () => await workflow.pollOnce('Trigger', { credentials: { backofficeImapApi: n8nCredentialData(credentials) } });
		// an active trigger has polled before: one poll of the still empty inbox (its static data kept, as n8n does)
		await poll();
		await fill(f.inbox);
		return async () => {
			const { polled } = await poll();
			const emitted = polled?.[0].length ?? 0;
			if (emitted !== N) throw new Error(`the trigger emitted ${emitted} of ${N} delivery notes`);
			return emitted;
		};
	});
}

/**
 * The least a script needs for the same job, with imapflow alone: no parsing, no n8n items; in batches of 50
 * (`plain`, two FETCHes and a MOVE each, as written in session 6) or all N at once (`plainAll`: one FETCH of the
 * structures, one of the attachments, one MOVE — the "one FETCH of all + one MOVE", memory by N).
 */
async function plainImapflow(batchSize: number, label: string): Promise<Measurement> {
	return await measure(label, async () => {
		const f = await folders('plain');
		await fill(f.inbox);
		return async () => {
			const client = new ImapFlow({
				host: credentials.host,
				port: credentials.port,
				secure: false,
				doSTARTTLS: false,
				auth: { user: credentials.user, pass: credentials.password },
				logger: false,
			});
			await client.connect();
			let moved = 0;
			try {
				await client.mailboxOpen(f.inbox);
				const uids = ((await client.search({ all: true }, { uid: true })) || []).slice(0, N);
				for (let i = 0; i < uids.length; i += batchSize) {
					const batch = uids.slice(i, i + batchSize);
					const messages = await client.fetchAll(uidSet(batch), { uid: true, envelope: true, bodyStructure: true }, { uid: true });
					const parts = await client.fetchAll(uidSet(batch), { uid: true, bodyParts: ['2'] }, { uid: true, binary: true });
					if (parts.some((p) => !p.bodyParts?.get('2')?.length) || messages.length !== batch.length) throw new Error('attachment missing');
					const answer = await client.messageMove(uidSet(batch), f.archive, { uid: true });
					moved += answer && answer.uidMap ? answer.uidMap.size : 0;
				}
			} finally {
				await client.logout();
			}
			return moved;
		};
	});
}

/**
 * n8n's own Email Trigger (IMAP) v2.2 (n8n-nodes-base from scripts/n8n-server, through n8n-core's TriggerContext):
 * a long-running trigger that opens the folder, fetches the unseen mails with their attachments, marks them read
 * and emits them in batches, each emit running the workflow (with a last UID in its static data, so that it catches
 * up on the mails already in the folder). It does less than the Delivery Note trigger (no
 * parsing, no move to an archive folder). Timed from the start of the trigger until all N mails were emitted
 * and their workflow runs ended.
 */
async function n8nEmailTrigger(): Promise<Measurement> {
	const file = path.resolve('scripts/n8n-server/node_modules/n8n-nodes-base/dist/nodes/EmailReadImap/EmailReadImap.node.js');
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	const { EmailReadImap } = require(file) as { EmailReadImap: new () => IVersionedNodeType };
	return await measure("n8n's Email Trigger (IMAP) v2.2", async () => {
		const f = await folders('n8n');
		// UID 1: a mail the trigger counts as seen before it started (its last UID), so that it catches up on the rest
		const seen = await new MailComposer({ from: SENDER, to: loadServers().users.alice.address, subject: 'seen', text: 'seen' }).compile().build();
		await multiAppend(credentials, f.inbox, [seen]);
		await fill(f.inbox);
		const workflow = new RunnerWorkflow(
			{
				nodes: [
					{
						id: 'trigger',
						name: 'Trigger',
						type: 'n8n-nodes-base.emailReadImap',
						typeVersion: 2.2,
						position: [0, 0],
						parameters: { mailbox: f.inbox, postProcessAction: 'read', format: 'simple', downloadAttachments: true, options: {} },
						credentials: { imap: { id: '1', name: 'bench' } },
					},
				],
				connections: {},
				// n8n's trigger only catches up on mails that were there before it started when it has a last UID
				// (here the first mail's); without one it waits for new arrivals
				staticData: { 'node:Trigger': { lastMessageUid: 1 } },
			},
			new Map([['n8n-nodes-base.emailReadImap', new EmailReadImap()]]),
		);
		const imap = { host: credentials.host, port: credentials.port, user: credentials.user, password: credentials.password, secure: false, allowUnauthorizedCerts: true };
		return async () => {
			let emitted = 0;
			let close: () => Promise<void> = async () => {};
			await new Promise<void>((resolve, reject) => {
				workflow
					.startTrigger('Trigger', {
						credentials: { imap },
						onRun: (items, result) => {
							if (result.error) reject(result.error);
							if (items.some((item) => !Object.keys(item.binary ?? {}).length)) reject(new Error('a mail came without its attachment'));
							emitted += items.length;
							if (emitted >= N) resolve();
						},
						onError: reject,
					})
					.then((closeFunction) => (close = closeFunction), reject);
			});
			await close();
			return emitted;
		};
	});
}

const VARIANTS: Record<string, () => Promise<Measurement>> = {
	trigger: triggerPoll,
	plain: async () => await plainImapflow(50, 'plain imapflow fetch + move'),
	plainAll: async () => await plainImapflow(N, 'plain imapflow, all at once'),
	n8nEmailTrigger,
};

const median = (values: number[]): number => {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** Each variant in a child process of its own, the order rotated each round; ratios per round and medians. */
function main(): void {
	const rounds = Number(process.argv.find((a) => a.startsWith('--rounds='))?.split('=')[1] ?? 1);
	console.log(`N = ${N} mails, one openTRANS attachment each (${documentName}, ${(Buffer.byteLength(template) / 1024).toFixed(1)} KB), Dovecot on 127.0.0.1, Node ${process.version}, ${rounds} round(s)`);
	const names = Object.keys(VARIANTS);
	const ratios: Record<string, number[]> = { plain: [], plainAll: [], n8nEmailTrigger: [] };
	// the other variant's machine CPU per mail ÷ the trigger's: where the speed ratio ends up when both keep the cores equally busy
	const cpuRatios: Record<string, number[]> = { plain: [], plainAll: [], n8nEmailTrigger: [] };
	for (let round = 0; round < rounds; round++) {
		const order = names.map((_, i) => names[(i + round) % names.length]);
		console.log(`round ${round + 1} (order: ${order.join(', ')})`);
		const measured: Record<string, Measurement> = {};
		for (const name of order) {
			const out = execFileSync(process.execPath, ['--expose-gc', process.argv[1], String(N), 'child', name, `--document=${documentName}`], {
				encoding: 'utf8',
				env: { ...process.env, N8N_LOG_LEVEL: 'silent' },
				stdio: ['ignore', 'pipe', 'inherit'],
			});
			const lines = out.trim().split('\n');
			console.log(lines.slice(0, -1).join('\n'));
			measured[name] = JSON.parse(lines[lines.length - 1]) as Measurement;
		}
		const rate = (name: string) => measured[name].mails / measured[name].seconds;
		const cpuPerMail = (name: string) => (measured[name].cpu.machineMs ?? NaN) / measured[name].mails;
		for (const other of Object.keys(ratios)) {
			ratios[other].push(rate('trigger') / rate(other));
			cpuRatios[other].push(cpuPerMail(other) / cpuPerMail('trigger'));
			console.log(
				`  trigger mails/s ÷ ${other} mails/s: ${(rate('trigger') / rate(other)).toFixed(2)}; ` +
					`${other}'s CPU per mail ÷ the trigger's: ${(cpuPerMail(other) / cpuPerMail('trigger')).toFixed(2)}`,
			);
		}
	}
	const list = (values: number[]) => `${median(values).toFixed(2)} (${values.map((v) => v.toFixed(2)).join(', ')})`;
	console.log('medians of the per-round ratios (Delivery Note IMAP Trigger mails/s ÷ other mails/s):');
	for (const [other, values] of Object.entries(ratios)) console.log(`  ÷ ${other}: ${list(values)}`);
	console.log("medians of the other variant's machine CPU per mail ÷ the trigger's (the speed ratio with the cores equally busy):");
	for (const [other, values] of Object.entries(cpuRatios)) console.log(`  ${other}: ${list(values)}`);
}

async function child(name: string): Promise<void> {
	const variant = VARIANTS[name];
	if (!variant) throw new Error(`no variant ${name}`);
	const result = await variant();
	await removeFolders();
	process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (process.argv[3] === 'child') {
	child(process.argv[4]).then(
		() => process.exit(0),
		(error) => {
			console.error(error);
			process.exit(1);
		},
	);
} else {
	main();
}
