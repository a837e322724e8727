/**
 * The Invoice Bulk Mailer's record tests (invoiceBulkMailerRecords.test.ts on SQLite, invoiceBulkMailerQueue.test.ts
 * on PostgreSQL): invoices, the mailer's workflow, the mails that arrived in the catch-all mailbox.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

import { simpleParser, type ParsedMail } from 'mailparser';
import type { IDataObject, INode } from 'n8n-workflow';

import { DEFAULT_TEXT } from '../../nodes/InvoiceBulkMailer/description';
import { withImapClient } from '../../nodes/shared/transports/imap';
import { NodeProcess } from './nodeProcess';
import { imapCredentialsFor, loadServers, n8nCredentialData, smtpCredentialsFor } from './servers';
import { RunnerWorkflow } from './workflowRunner';

const SELLER = {
	name: 'Bäckerei Weiß & Söhne GmbH',
	street: 'Hauptstraße 5',
	zip: '50667',
	city: 'Köln',
	country: 'DE',
	vatId: 'DE123456789',
	email: 'buchhaltung@baeckerei-weiss.de',
};

export function invoiceJson(token: string, i: number): IDataObject {
	return {
		invoiceNumber: `RE-${token}-${i}`,
		invoiceDate: '2025-03-14',
		deliveryDate: '2025-03-12',
		currency: 'EUR',
		customer: { number: `K-${i}`, name: `Kunde ${i}`, email: `kunde${i}-${token}@example.com`, street: 'Lindenallee 17', zip: '80331', city: 'München', country: 'DE' },
		lines: [{ description: 'Festtagstorte', quantity: 1, unit: 'Stk', netUnitPrice: 89.5, vatRate: 7 }],
	};
}

/** One saved workflow with a mailer node; the same `id` in two of them: two executions of one workflow. */
export function mailer(token: string, id = `wf-${token}`, staticData: IDataObject = {}): RunnerWorkflow {
	const node: INode = {
		id: 'mailer-node',
		name: 'Mailer',
		type: 'n8n-nodes-backoffice.invoiceBulkMailer',
		typeVersion: 1,
		position: [0, 0],
		parameters: {
			operation: 'sendInvoices',
			mailSubject: `Rechnung {{#each invoices}}{{number}}{{/each}} ${token}`,
			mailText: DEFAULT_TEXT,
			seller: { details: SELLER },
			options: { retryDelaySeconds: 0.5 },
		},
		credentials: {},
	};
	return new RunnerWorkflow({ id, nodes: [node], connections: {}, staticData: { 'node:Mailer': staticData } });
}

export const credentials = () => ({ backofficeSmtpApi: n8nCredentialData(smtpCredentialsFor('alice')) });

/** The mails in the catch-all mailbox whose subject carries `token`, once `count` have arrived (or 30 s passed). */
export async function mailsWith(token: string, count: number, timeoutMs = 30_000): Promise<ParsedMail[]> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const mails = await withImapClient(imapCredentialsFor('sink'), async (client) => {
			await client.mailboxOpen('INBOX');
			const uids = (await client.search({ subject: token }, { uid: true })) || [];
			const parsed: ParsedMail[] = [];
			if (uids.length < count && Date.now() < deadline) return undefined;
			for await (const message of client.fetch(uids.length ? uids : '0', { source: true }, { uid: true })) {
				if (message.source) parsed.push(await simpleParser(message.source));
			}
			return parsed;
		});
		if (mails) return mails;
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
}

/** The mails with `token`, once Postfix has delivered everything it accepted (nothing incoming or active). */
export async function mailsAfterQuiet(token: string): Promise<ParsedMail[]> {
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
	return await mailsWith(token, 0, 0);
}

export const recipients = (mails: ParsedMail[]) =>
	mails.flatMap((m) => (Array.isArray(m.to) ? m.to : m.to ? [m.to] : []).flatMap((a) => a.value.map((v) => v.address))).sort();

/** The customer address of invoice `RE-<token>-<i>`. */
export function addressOf(token: string, invoiceNumber: string): string {
	return `kunde${invoiceNumber.slice(invoiceNumber.lastIndexOf('-') + 1)}-${token}@example.com`;
}

/** The mailer run by n8n's engine in a process of its own (nodeProcessChild.js), which a test may kill. */
export class MailerProcess {
	readonly process: NodeProcess;

	/** `env`: the process's variables (by default this one's) */
	constructor(env?: NodeJS.ProcessEnv) {
		this.process = new NodeProcess(env);
	}

	/**
	 * Runs the workflow over `items` (with `account`, by default alice's SMTP credential); resolves with the JSON of
	 * the items on each output (Sent, Skipped, Failed).
	 */
	async run(workflow: RunnerWorkflow, items: IDataObject[], account = credentials()): Promise<IDataObject[][]> {
		return (await this.process.run(workflow, 'Mailer', 3, account, { items })).outputs;
	}

	async kill(): Promise<void> {
		await this.process.stop();
	}
}
