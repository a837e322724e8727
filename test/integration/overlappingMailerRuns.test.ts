/**
 * Two executions of one Invoice Bulk Mailer at the same time (a schedule that fires while the last run still
 * mails, or two webhook calls), with n8n's static data semantics: each execution starts from the saved copy and
 * saves its own when it ends, the last one over the other. Found by the fault suite (test/faults, seed
 * 827871146): both executions mailed the same invoices, and the later save could drop the other's entries from
 * the sent ledger.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

import type { IDataObject, INode, INodeExecutionData } from 'n8n-workflow';

import { DEFAULT_TEXT } from '../../nodes/InvoiceBulkMailer/description';
import { withImapClient } from '../../nodes/shared/transports/imap';
import { imapCredentialsFor, loadServers, n8nCredentialData, smtpCredentialsFor } from '../helpers/servers';
import { RunnerWorkflow, savedWorkflowId } from '../helpers/workflowRunner';

const token = `OVL${Date.now().toString(36)}`;

function invoice(n: number): IDataObject {
	return {
		invoiceNumber: `RE-${token}-${n}`,
		invoiceDate: '2025-03-14',
		deliveryDate: '2025-03-12',
		dueDate: '2025-03-28',
		currency: 'EUR',
		customer: { number: `K-${n}`, name: `Kunde ${n}`, email: `kunde-${token}-${n}@example.com`, street: 'Lindenallee 17', zip: '80331', city: 'München', country: 'DE' },
		lines: [{ description: 'Festtagstorte', quantity: 1, unit: 'Stk', netUnitPrice: 89.5, vatRate: 7 }],
	};
}

const node: INode = {
	id: 'Mailer',
	name: 'Mailer',
	type: 'n8n-nodes-backoffice.invoiceBulkMailer',
	typeVersion: 1,
	position: [0, 0],
	parameters: {
		operation: 'sendInvoices',
		mailSubject: `Rechnung {{#each invoices}}{{number}}{{/each}} ${token}`,
		mailText: DEFAULT_TEXT,
		seller: { details: { name: 'Bäckerei Weiß GmbH', street: 'Hauptstraße 5', zip: '50667', city: 'Köln', country: 'DE', vatId: 'DE123456789', iban: 'DE89370400440532013000' } },
	},
};

/** One production execution: static data from the saved copy, saved back when it ends (if it changed). */
async function execution(saved: { staticData: IDataObject }, items: IDataObject[]) {
	const loaded = JSON.stringify(saved.staticData);
	const workflow = new RunnerWorkflow({ id: savedWorkflowId(saved), nodes: [structuredClone(node)], connections: {}, staticData: JSON.parse(loaded) as IDataObject });
	const result = await workflow.run('Mailer', {
		credentials: { backofficeSmtpApi: n8nCredentialData(smtpCredentialsFor('alice')) },
		input: [items.map((json) => ({ json }))],
		mode: 'trigger',
	});
	const now = JSON.stringify(workflow.staticData);
	if (now !== loaded) saved.staticData = JSON.parse(now) as IDataObject;
	const out = (i: number) => (result.run.data.resultData.runData.Mailer?.at(-1)?.data?.main?.[i] ?? []) as INodeExecutionData[];
	// every invoice is complete: a failure here is the test's own mistake
	if (out(2).length) throw new Error(`failed: ${JSON.stringify(out(2)[0].json).slice(0, 300)}`);
	return { sent: out(0).flatMap((i) => i.json.invoiceNumbers as string[]), skipped: out(1).length };
}

async function deliveredCount(): Promise<number> {
	const config = path.join(loadServers().dir, 'postfix/etc');
	for (let waited = 0; execFileSync('/usr/sbin/postqueue', ['-c', config, '-j'], { encoding: 'utf8' }).match(/"queue_name": ?"(incoming|active)"/); waited++) {
		if (waited > 600) throw new Error('Postfix still delivers after 60 s');
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
	return await withImapClient(imapCredentialsFor('sink'), async (client) => {
		await client.mailboxOpen('INBOX', { readOnly: true });
		return ((await client.search({ subject: token }, { uid: true })) || []).length;
	});
}

describe('Overlapping executions of the Invoice Bulk Mailer', () => {
	it('mail each invoice once, and the ledger saved last knows every one of them', async () => {
		const items = [1, 2, 3].map(invoice);
		const saved = { staticData: {} as IDataObject };
		const [first, second] = await Promise.all([execution(saved, items), execution(saved, items)]);
		expect([...first.sent, ...second.sent].sort()).toEqual(items.map((i) => i.invoiceNumber).sort());
		// a later execution starts from whichever save came last: it knows all three
		const third = await execution(saved, items);
		expect(third.sent).toEqual([]);
		expect(third.skipped).toBe(3);
		expect(await deliveredCount()).toBe(3);
	});
});
