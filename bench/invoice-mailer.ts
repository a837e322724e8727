/**
 * Benchmark (not a test): the Invoice Bulk Mailer mails N generated invoices (one customer each) through the
 * test Postfix (submission port 10587, STARTTLS + AUTH), next to a loop that does what n8n's own Send Email
 * node does per item — a new SMTP transport for every mail: connect, STARTTLS, AUTH, send, QUIT — with the
 * same PDFs, and next to n8n's real Send Email node (v2.1 from the n8n server's n8n-nodes-base in
 * scripts/n8n-server, run by n8n-core like the package's node) with one item per invoice.
 *
 * Run from the repository root (test servers up: `scripts/test-servers.sh start`; N defaults to 500):
 *   source scripts/node24.sh
 *   npx tsc --outDir .cache/bench --rootDir . --strict --module commonjs --target es2023 --esModuleInterop \
 *     --resolveJsonModule --skipLibCheck --types node bench/invoice-mailer.ts
 *   node .cache/bench/bench/invoice-mailer.js 500
 *   node .cache/bench/bench/invoice-mailer.js 2000 node       # only the node's two variants
 *   node .cache/bench/bench/invoice-mailer.js 10000 generate  # only one variant (generate, binary, perMail)
 *   node .cache/bench/bench/invoice-mailer.js 2000 generate --heap
 *   node .cache/bench/bench/invoice-mailer.js 500 generate,binary,n8nSendEmail --rounds=3   # ratios per round, medians
 *   BENCH_MAX_CONNECTIONS=8 node .cache/bench/bench/invoice-mailer.js 100 generate    # the node's Max Connections (default 3)
 * --heap also samples the live heap (after a forced GC, every second; this slows the run down): the most it
 * held shows whether memory grows with N. --keep leaves the mails in the sink mailbox; without it they are
 * deleted there once all have arrived (other tests search that mailbox).
 * (.cache/ is git-ignored and inside the project, so that the compiled files find node_modules.)
 *
 * Every variant runs in a child process of its own, so that each peak RSS is its own. Variants:
 * - node, generating PDFs: the node as a workflow runs it (n8n-core's WorkflowExecute), PDFs made in its pipeline;
 * - node, PDFs from binary: the same, with the N ready-made PDFs handed in as binary data (as the loop gets them);
 * - one transport per mail: the Send Email pattern, same ready-made PDFs, one mail after the other.
 * The ready-made PDFs are rendered before the clock starts; their rendering time is printed on its own.
 * The mails end up in the catch-all mailbox sink@backoffice.test (recipients are at example.com).
 */
import { fork } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

import { createTransport } from 'nodemailer';
import type { IDataObject, INodeExecutionData, IVersionedNodeType } from 'n8n-workflow';

import { DEFAULT_TEXT } from '../nodes/InvoiceBulkMailer/description';
import { withImapClient } from '../nodes/shared/transports/imap';
import { renderInvoicePdf, type Invoice } from '../nodes/shared/documents/invoices';
import { tlsOptions } from '../nodes/shared/transports/tls';
import { imapCredentialsFor, loadServers, n8nCredentialData, smtpCredentialsFor } from '../test/helpers/servers';
import { processedDataWrites } from '../test/helpers/processedData';
import { RunnerWorkflow } from '../test/helpers/workflowRunner';

type Variant = 'generate' | 'binary' | 'perMail' | 'n8nSendEmail';

const VARIANTS: Record<Variant, string> = {
	generate: 'node, generating PDFs',
	binary: 'node, PDFs from binary',
	perMail: 'one transport per mail',
	n8nSendEmail: "n8n's Send Email v2.1",
};

/** n8n's own Send Email node from the n8n server's n8n-nodes-base (scripts/n8n-server), run by n8n-core. */
function n8nSendEmailType(): Map<string, IVersionedNodeType> {
	const file = path.resolve('scripts/n8n-server/node_modules/n8n-nodes-base/dist/nodes/EmailSend/EmailSend.node.js');
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	const { EmailSend } = require(file) as { EmailSend: new () => IVersionedNodeType };
	return new Map([['n8n-nodes-base.emailSend', new EmailSend()]]);
}

const SELLER = {
	name: 'Bäckerei Weiß & Söhne GmbH',
	street: 'Hauptstraße 5',
	zip: '50667',
	city: 'Köln',
	country: 'DE',
	vatId: 'DE123456789',
	iban: 'DE89370400440532013000',
	bic: 'COBADEFFXXX',
	bankName: 'Commerzbank Köln',
};

/** N invoices of 3 to 12 lines, one customer each; deterministic, so every variant mails the same ones. */
function invoiceItems(n: number, run: string): IDataObject[] {
	return Array.from({ length: n }, (_, i) => ({
		invoiceNumber: `RE-${run}-${String(i + 1).padStart(5, '0')}`,
		invoiceDate: '2025-03-14',
		deliveryDate: '2025-03-12',
		dueDate: '2025-03-28',
		paymentTerms: 'Zahlbar innerhalb von 14 Tagen ohne Abzug.',
		customer: {
			number: `K-${i + 1}`,
			name: `Kundin ${i + 1} Müller-Lüdenscheidt`,
			email: `bench-${run}-${i + 1}@example.com`,
			street: `Lindenallee ${(i % 90) + 1}`,
			zip: '80331',
			city: 'München',
		},
		lines: Array.from({ length: 3 + (i % 10) }, (_, l) => ({
			description: `Artikel ${l + 1}: Laugenbrezel groß, frisch gebacken`,
			quantity: String((l % 4) + 1),
			unit: 'Stk',
			netUnitPrice: `${(l % 7) + 1}.45`,
			vatRate: l % 3 === 0 ? '19' : '7',
		})),
	}));
}

function asInvoice(json: IDataObject): Invoice {
	const customer = json.customer as IDataObject;
	return {
		number: String(json.invoiceNumber),
		type: 'invoice',
		issueDate: String(json.invoiceDate),
		deliveryDate: String(json.deliveryDate),
		dueDate: String(json.dueDate),
		paymentTerms: String(json.paymentTerms),
		seller: SELLER,
		buyer: {
			name: String(customer.name),
			street: String(customer.street),
			zip: String(customer.zip),
			city: String(customer.city),
			customerNumber: String(customer.number),
		},
		lines: json.lines as Invoice['lines'],
		bankAccount: { iban: SELLER.iban, bic: SELLER.bic, bankName: SELLER.bankName },
	};
}

const mb = (kilobytes: number) => (kilobytes / 1024).toFixed(0);

interface PhaseResult {
	variant: Variant;
	mails: number;
	seconds: number;
	peakRssMb: string;
	/** RSS when the clock started: modules (n8n-core) loaded, input items and ready-made PDFs in memory */
	startRssMb: string;
	renderSeconds?: number;
	errors: number;
	/** the node's calls that write n8n's processed-data store (record, remove) during the run */
	storeWrites?: number;
	/** CPU time (user + system) of the variant's process during the run */
	cpuSeconds: number;
	/** with --heap: the most live heap (after GC) seen during the run */
	liveHeapMb?: string;
}

async function phase(variant: Variant, n: number, run: string): Promise<PhaseResult> {
	const items = invoiceItems(n, `${run}${variant[0]}`);
	let renderSeconds: number | undefined;
	let pdfs: Uint8Array[] = [];
	if (variant !== 'generate') {
		const t = performance.now();
		for (const json of items) pdfs.push(await renderInvoicePdf(asInvoice(json)));
		renderSeconds = (performance.now() - t) / 1000;
	}
	const account = smtpCredentialsFor('alice', { security: 'starttls' });
	if (variant === 'generate' || variant === 'binary') {
		// the node's sent records live in n8n's processed-data store (n8n's database, in a child process of the
		// runner): started before the clock, as it runs before any execution in n8n
		const { DataDeduplicationService } = await import('n8n-core');
		await DataDeduplicationService.getInstance().getProcessedDataCount('node', { workflow: { id: 'bench-warm-up', active: false } as never, node: { id: 'warm-up' } as never }, { mode: 'entries' });
	}
	const startRssMb = (process.memoryUsage.rss() / 1024 / 1024).toFixed(0);
	const gc = (globalThis as { gc?: () => void }).gc;
	let liveHeap = 0;
	const sampler = gc
		? setInterval(() => {
				gc();
				liveHeap = Math.max(liveHeap, process.memoryUsage().heapUsed);
			}, 1000)
		: undefined;
	const writesBefore = processedDataWrites();
	const cpuBefore = process.cpuUsage();
	const started = performance.now();
	let mails = 0;
	let errors = 0;
	if (variant === 'perMail') {
		// what n8n's Send Email node does for each item: a transport of its own, used once, closed
		for (let i = 0; i < items.length; i++) {
			const json = items[i];
			const transport = createTransport({
				host: account.host,
				port: account.port,
				secure: false,
				requireTLS: true,
				auth: { user: account.user ?? '', pass: account.password ?? '' },
				tls: tlsOptions(account.host, true),
			});
			try {
				await transport.sendMail({
					from: account.senderAddress,
					to: String((json.customer as IDataObject).email),
					subject: `Ihre Rechnung ${String(json.invoiceNumber)}`,
					text: 'Guten Tag, anbei erhalten Sie Ihre Rechnung als PDF.',
					attachments: [{ filename: `${String(json.invoiceNumber)}.pdf`, content: Buffer.from(pdfs[i]), contentType: 'application/pdf' }],
				});
				mails++;
			} catch {
				errors++;
			} finally {
				transport.close();
			}
		}
	} else if (variant === 'n8nSendEmail') {
		const result = await sendWithN8nNode(items, pdfs, account);
		pdfs = [];
		mails = result.mails;
		errors = result.errors;
	} else {
		const input: INodeExecutionData[] = items.map((json, i) =>
			variant === 'binary'
				? { json, binary: { data: { data: Buffer.from(pdfs[i]).toString('base64'), mimeType: 'application/pdf', fileName: 'invoice.pdf' } } }
				: { json },
		);
		pdfs = [];
		const workflow = new RunnerWorkflow({
			nodes: [
				{
					id: 'Mailer',
					name: 'Mailer',
					type: 'n8n-nodes-backoffice.invoiceBulkMailer',
					typeVersion: 1,
					position: [0, 0],
					parameters: {
						operation: 'sendInvoices',
						pdfSource: variant === 'binary' ? 'binary' : 'generate',
						mailSubject: 'Ihre Rechnung {{#each invoices}}{{number}}{{/each}}',
						mailText: DEFAULT_TEXT,
						seller: { details: SELLER },
						options: { maxConnections: Number(process.env.BENCH_MAX_CONNECTIONS ?? 3) },
					},
					credentials: {},
				},
			],
			connections: {},
		});
		const result = await workflow.run('Mailer', {
			credentials: { backofficeSmtpApi: n8nCredentialData(account) },
			input: [input],
			mode: 'trigger',
		});
		if (result.error) throw result.error;
		mails = result.output('Mailer', 0).length;
		errors = result.output('Mailer', 1).length + result.output('Mailer', 2).length;
	}
	const seconds = (performance.now() - started) / 1000;
	const cpu = process.cpuUsage(cpuBefore);
	if (sampler) clearInterval(sampler);
	return {
		variant,
		mails,
		seconds,
		peakRssMb: mb(process.resourceUsage().maxRSS),
		startRssMb,
		renderSeconds,
		errors,
		cpuSeconds: (cpu.user + cpu.system) / 1e6,
		...(variant === 'generate' || variant === 'binary' ? { storeWrites: processedDataWrites() - writesBefore } : {}),
		...(gc ? { liveHeapMb: (liveHeap / 1024 / 1024).toFixed(0) } : {}),
	};
}

/**
 * n8n's Send Email node (v2.1, operation Send) with one item per invoice, its PDF as binary data: the node
 * makes a transport per item, as it does in n8n. Its credential has no CA field: the test server's
 * self-signed certificate is accepted with the node's own option "Ignore SSL Issues" (the TLS work is the same).
 */
async function sendWithN8nNode(items: IDataObject[], pdfs: Uint8Array[], account: ReturnType<typeof smtpCredentialsFor>) {
	const input: INodeExecutionData[] = items.map((json, i) => ({
		json: { ...json, to: String((json.customer as IDataObject).email), subject: `Ihre Rechnung ${String(json.invoiceNumber)}` },
		binary: { data: { data: Buffer.from(pdfs[i]).toString('base64'), mimeType: 'application/pdf', fileName: `${String(json.invoiceNumber)}.pdf` } },
	}));
	const workflow = new RunnerWorkflow(
		{
			nodes: [
				{
					id: 'Send',
					name: 'Send',
					type: 'n8n-nodes-base.emailSend',
					typeVersion: 2.1,
					position: [0, 0],
					parameters: {
						operation: 'send',
						fromEmail: account.senderAddress,
						toEmail: '={{ $json.to }}',
						subject: '={{ $json.subject }}',
						emailFormat: 'text',
						text: 'Guten Tag, anbei erhalten Sie Ihre Rechnung als PDF.',
						options: { attachments: 'data', allowUnauthorizedCerts: true, appendAttribution: false },
					},
					credentials: { smtp: { id: 'smtp', name: 'smtp' } },
				},
			],
			connections: {},
		},
		n8nSendEmailType(),
	);
	const smtp = { host: account.host, port: account.port, secure: false, disableStartTls: false, user: account.user ?? '', password: account.password ?? '' };
	const result = await workflow.run('Send', { credentials: { smtp }, input: [input], mode: 'trigger' });
	if (result.error) throw result.error;
	const out = result.output('Send', 0);
	return { mails: out.filter((o) => !o.json.error).length, errors: out.filter((o) => o.json.error).length };
}

async function inChild(variant: Variant, n: number, run: string): Promise<PhaseResult> {
	return await new Promise((resolve, reject) => {
		const child = fork(__filename, ['--phase', variant, String(n), run], {
			stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
			execArgv: process.argv.includes('--heap') ? ['--expose-gc'] : [],
		});
		let answered = false;
		child.on('message', (message) => {
			answered = true;
			resolve(message as PhaseResult);
		});
		child.on('error', reject);
		child.on('exit', (code) => {
			if (code !== 0 || !answered) reject(new Error(`${VARIANTS[variant]} exited with ${code}${answered ? '' : ' without a result'}`));
		});
	});
}

async function main(): Promise<void> {
	if (process.argv[2] === '--phase') {
		// n8n's processed-data store (the mailer's sent records) answers over an unref'd IPC channel
		// (test/helpers/processedData.ts): without a handle of its own the process would end while it waits
		setInterval(() => undefined, 60_000);
		const result = await phase(process.argv[3] as Variant, Number(process.argv[4]), process.argv[5]);
		// n8n-core and the interval keep the process alive: it ends once the result is sent
		process.send?.(result, () => process.exit(0));
		return;
	}
	const n = Number(process.argv[2] ?? 500);
	const chosen = (process.argv[3] ?? '').replace('node', 'generate,binary').split(',').filter((v): v is Variant => v in VARIANTS);
	const only = chosen.length ? chosen : (Object.keys(VARIANTS) as Variant[]);
	const run = Date.now().toString(36);
	const s = loadServers();
	console.log(`Invoice Bulk Mailer benchmark: ${n} invoices, one customer each, via ${s.host}:${s.smtp.submissionPort} (STARTTLS + AUTH)`);
	console.log(`n8n's Send Email node comes from scripts/n8n-server's n8n-nodes-base; "one transport per mail" is its pattern in plain nodemailer.`);
	console.log('');
	const rounds = Number(process.argv.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 1);
	console.log(`${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), load ${os.loadavg()[0].toFixed(1)}; ${rounds} round(s), variant order rotated`);
	console.log('variant                      mails   errors   seconds   mails/s   RSS at start → peak');
	let sent = 0;
	const perRound: Array<Partial<Record<Variant, number>>> = [];
	for (let round = 0; round < rounds; round++) {
		const order = only.map((_, i) => only[(i + round) % only.length]);
		const rates: Partial<Record<Variant, number>> = {};
		for (const variant of order) {
			const r = await inChild(variant, n, `${run}${round}`);
			rates[variant] = r.mails / r.seconds;
			console.log(
				`${VARIANTS[variant].padEnd(27)} ${String(r.mails).padStart(6)}   ${String(r.errors).padStart(6)}   ${r.seconds.toFixed(1).padStart(7)}   ${(r.mails / r.seconds).toFixed(1).padStart(7)}   ${r.startRssMb.padStart(5)} → ${r.peakRssMb} MB` +
					(r.liveHeapMb !== undefined ? `   live heap ≤ ${r.liveHeapMb} MB` : '') +
					`   CPU ${r.cpuSeconds.toFixed(1)} s` +
					(r.storeWrites !== undefined ? `   ${r.storeWrites} store writes` : '') +
					(r.renderSeconds !== undefined ? `   (+ ${r.renderSeconds.toFixed(1)} s rendering the PDFs beforehand)` : ''),
			);
			sent += r.mails;
		}
		perRound.push(rates);
		printRatios(`round ${round + 1}`, [rates]);
	}
	if (rounds > 1) printRatios('median', perRound);
	if (!process.argv.includes('--keep')) await removeFromSink(run, sent);
}

/** Throughput of each variant against n8n's Send Email node (and the plain loop), as medians over the rounds. */
function printRatios(label: string, rounds: Array<Partial<Record<Variant, number>>>): void {
	const median = (values: number[]) => {
		const sorted = [...values].sort((a, b) => a - b);
		const mid = Math.floor(sorted.length / 2);
		return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
	};
	const parts: string[] = [];
	for (const base of ['n8nSendEmail', 'perMail'] as const) {
		for (const variant of ['generate', 'binary'] as const) {
			const ratios = rounds.filter((r) => r[variant] && r[base]).map((r) => r[variant]! / r[base]!);
			if (ratios.length) parts.push(`${variant}/${base} ${median(ratios).toFixed(2)}`);
		}
	}
	if (parts.length) console.log(`  ${label}: ${parts.join(', ')}`);
}

/** Deletes this run's mails from the sink mailbox once they have all arrived (at most 2 minutes). */
async function removeFromSink(run: string, expected: number): Promise<void> {
	const deadline = Date.now() + 120_000;
	await withImapClient(imapCredentialsFor('sink'), async (client) => {
		await client.mailboxOpen('INBOX');
		const query = { to: `bench-${run}`, subject: 'Ihre Rechnung RE-' };
		let uids: number[] = [];
		do {
			uids = (await client.search(query, { uid: true })) || [];
			if (uids.length >= expected) break;
			await new Promise((resolve) => setTimeout(resolve, 1000));
		} while (Date.now() < deadline);
		if (uids.length) await client.messageDelete(uids, { uid: true });
		console.log(`\n${uids.length} of ${expected} mails arrived in ${loadServers().users.sink.address}; removed them again (--keep keeps them).`);
	});
}

main().then(
	() => process.exit(0),
	(error) => {
		console.error(error);
		process.exit(1);
	},
);
