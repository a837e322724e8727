/**
 * The Invoice Bulk Mailer (Send Invoices) under faults: each run gets every invoice so far (as an ERP that
 * hands over all open invoices each time), a few new ones each round; the sent ledger must skip the rest. Each
 * run goes through a fault proxy (plain SMTP with command positions — each command and each reply, the end of
 * DATA included — or SMTPS with byte positions); a few faults reload or restart Postfix while a command or reply
 * is held; some runs overlap (n8n's static data semantics, see fileRuns.ts). Then runs without faults, and every
 * invoice is accounted: sent by which runs, reported as DELIVERY_UNCERTAIN, and delivered how often into the
 * mailbox (after Postfix's queue is empty).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

import type { IDataObject, INode, INodeExecutionData } from 'n8n-workflow';

import { DEFAULT_TEXT } from '../../../nodes/InvoiceBulkMailer/description';
import { withImapClient } from '../../../nodes/shared/transports/imap';
import type { SmtpCredentials } from '../../../nodes/shared/transports/smtp';
import { imapCredentialsFor, loadServers, n8nCredentialData, smtpCredentialsFor } from '../../helpers/servers';
import { RunnerWorkflow, savedWorkflowId } from '../../helpers/workflowRunner';
import { byteCut, commandCut } from '../harness/faultChoice';
import { FaultProxy } from '../harness/faultProxy';
import { Ledger } from '../harness/ledger';
import type { Random } from '../harness/random';
import { serverFault, type ServerFault } from '../harness/serverControl';

export interface MailerScenarioOptions {
	/** at most this many invoices */
	documents: number;
	/** at least this many before the faulty rounds end */
	minDocuments: number;
	hits: number;
	log(line: string): void;
}

function invoice(token: string, id: string): IDataObject {
	return {
		invoiceNumber: `RE-${token}-${id}`,
		invoiceDate: '2025-03-14',
		deliveryDate: '2025-03-12',
		dueDate: '2025-03-28',
		currency: 'EUR',
		customer: { number: `K-${id}`, name: `Kunde ${id} GmbH`, email: `kunde-${token}-${id}@example.com`, street: 'Lindenallee 17', zip: '80331', city: 'München', country: 'DE' },
		lines: [{ description: 'Festtagstorte', quantity: 1, unit: 'Stk', netUnitPrice: 89.5, vatRate: 7 }],
		grossTotal: '95.77',
	};
}

function mailerNode(token: string): INode {
	return {
		id: 'Mailer',
		name: 'Mailer',
		type: 'n8n-nodes-backoffice.invoiceBulkMailer',
		typeVersion: 1,
		position: [0, 0],
		parameters: {
			operation: 'sendInvoices',
			mailSubject: `Ihre Rechnung {{#each invoices}}{{number}}{{/each}} ${token}`,
			mailText: DEFAULT_TEXT,
			seller: {
				details: {
					name: 'Bäckerei Weiß & Söhne GmbH',
					street: 'Hauptstraße 5',
					zip: '50667',
					city: 'Köln',
					country: 'DE',
					vatId: 'DE123456789',
					email: 'buchhaltung@baeckerei-weiss.de',
					iban: 'DE89370400440532013000',
				},
			},
			options: { retries: 2, retryDelaySeconds: 0.2 },
		},
		credentials: {},
	};
}

/** One execution as n8n runs it (static data from the saved copy, saved back if changed); counts its outputs. */
async function execution(saved: { staticData: IDataObject }, token: string, items: IDataObject[], account: SmtpCredentials, ledger: Ledger): Promise<string> {
	const loaded = JSON.stringify(saved.staticData);
	const workflow = new RunnerWorkflow({ id: savedWorkflowId(saved), nodes: [mailerNode(token)], connections: {}, staticData: JSON.parse(loaded) as IDataObject });
	const result = await workflow.run('Mailer', { credentials: { backofficeSmtpApi: n8nCredentialData(account) }, input: [items.map((json) => ({ json }))], mode: 'trigger' });
	const now = JSON.stringify(workflow.staticData);
	if (now !== loaded) saved.staticData = JSON.parse(now) as IDataObject;
	if (result.error) return 'failed';
	const idOf = (number: unknown) => String(number).slice(`RE-${token}-`.length);
	const out = (i: number) => (result.run.data.resultData.runData.Mailer?.at(-1)?.data?.main?.[i] ?? []) as INodeExecutionData[];
	for (const item of out(0)) for (const n of item.json.invoiceNumbers as string[]) ledger.emitted(idOf(n));
	for (const item of out(2)) if (item.json.code === 'DELIVERY_UNCERTAIN') for (const n of item.json.invoiceNumbers as string[]) ledger.reported(idOf(n));
	return `${out(0).length}/${out(1).length}/${out(2).length}`;
}

/** Waits until Postfix has handed every accepted mail on (nothing incoming or active), then counts per invoice. */
async function delivered(token: string): Promise<Map<string, number>> {
	const config = path.join(loadServers().dir, 'postfix/etc');
	const deadline = Date.now() + 60_000;
	const inFlight = () =>
		execFileSync('/usr/sbin/postqueue', ['-c', config, '-j'], { encoding: 'utf8' })
			.split('\n')
			.filter((line) => /"queue_name": ?"(incoming|active)"/.test(line)).length;
	while (inFlight() > 0) {
		if (Date.now() > deadline) throw new Error('Postfix still delivers after 60 s');
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
	const counts = new Map<string, number>();
	await withImapClient(imapCredentialsFor('sink'), async (client) => {
		await client.mailboxOpen('INBOX', { readOnly: true });
		const uids = (await client.search({ subject: token }, { uid: true })) || [];
		if (!uids.length) return;
		for await (const m of client.fetch(uids, { envelope: true }, { uid: true })) {
			const id = new RegExp(`RE-${token}-(\\d+)`).exec(m.envelope?.subject ?? '')?.[1];
			if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
		}
	});
	return counts;
}

const SERVER_FAULTS: Array<{ label: string; command: ServerFault; max: number }> = [
	{ label: 'Postfix reload', command: 'reload-postfix', max: 1 },
	{ label: 'Postfix restart', command: 'restart-postfix', max: 1 },
];

export async function invoiceMailerScenario(rng: Random, options: MailerScenarioOptions): Promise<Ledger> {
	const s = loadServers();
	const ledger = new Ledger('SMTP mailer', ['delivered']);
	const token = `F${Date.now().toString(36)}${Math.random().toString(36).slice(2, 5)}`;
	const saved = { staticData: {} as IDataObject };
	const plain = await new FaultProxy({ host: s.host, port: s.smtp.port }, 'smtp').start();
	const tls = await new FaultProxy({ host: s.host, port: s.smtp.tlsPort }, 'bytes').start();
	const items: IDataObject[] = [];
	const used = new Map<string, number>();
	let commands = 20;
	const bytes = { toServer: 20_000, toClient: 3000 };
	try {
		// new invoices in every round (up to the cap), so that every run has a session whose commands can be hit
		for (let round = 0; round < options.hits * 2 && (ledger.hits < options.hits || items.length < options.minDocuments); round++) {
			for (let n = Math.min(options.documents - items.length, rng.int(1, 2)); n > 0; n--) {
				const id = String(items.length + 1);
				ledger.add(id);
				items.push(invoice(token, id));
			}
			const overTls = rng.chance(0.2);
			const choice = !overTls && rng.chance(0.15) ? rng.pick(SERVER_FAULTS) : undefined;
			const server = choice && (used.get(choice.label) ?? 0) < choice.max ? choice : undefined;
			if (server) used.set(server.label, (used.get(server.label) ?? 0) + 1);
			const proxy = overTls ? tls : plain;
			proxy.arm(
				overTls
					? byteCut(rng, bytes, 'SMTPS cut')
					: commandCut(rng, commands, server ? { label: server.label, action: () => serverFault(server.command) } : undefined),
			);
			const account = overTls
				? { ...smtpCredentialsFor('alice', { security: 'tls' }), port: tls.port }
				: { ...smtpCredentialsFor('alice', { security: 'none' }), port: plain.port };
			const overlapping = rng.chance(0.15);
			const began = Date.now();
			const outcomes = await Promise.all(Array.from({ length: overlapping ? 2 : 1 }, () => execution(saved, token, [...items], account, ledger)));
			const record = await proxy.settle();
			ledger.fault(record);
			if (process.env.BO_FAULT_VERBOSE) options.log(`  ${record?.label} ${record?.command ?? ''} at ${record?.at} hit=${record?.hit}: ${outcomes.join(' + ')} ${Date.now() - began} ms`);
			if (!record?.hit && overTls) for (const d of ['toServer', 'toClient'] as const) bytes[d] = Math.max(500, tls.longest[d]);
			else if (!record?.hit) commands = Math.max(8, plain.commandsSinceArm);
		}
	} finally {
		await plain.stop();
		await tls.stop();
	}
	options.log(`SMTP mailer: faults ${ledger.faultSummary()}`);
	const direct = smtpCredentialsFor('alice', { security: 'none' });
	for (let i = 0; i < 4 && !/^0\/\d+\/0$/.test(await execution(saved, token, items, direct, ledger)); i++);
	for (const [id, count] of await delivered(token)) for (let c = 0; c < count; c++) ledger.foundIn(id, 'delivered');
	return ledger;
}
