import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { planMailing } from './mailPlan';
import { failedInvoiceItem, inInputOrder, skippedItem, type Outputs } from './outputItems';
import { oneAtATime, processKeyOf } from '../shared/processLock';
import { sendPlannedMails } from './run';
import { SentLedger } from './sentLedger';
import { readSettings } from './settings';
import { templateData } from './templateData';

/**
 * Send Invoices: the node's main operation, read top to bottom —
 * 1. settings: template (none → stop, nothing sent), sender, seller, field names, logo (settings.ts);
 * 2. plan: every invoice into a customer's mail, or Skipped, or Failed, each invoice checked and totalled once
 *    (mailPlan.ts); the first mail's text rendered, so that a broken template stops the run before anything is sent;
 * 3. run: one pooled SMTP transport, a pipeline that makes the PDFs (and e-invoices) and sends (run.ts);
 * 4. items: Sent, Skipped and Failed, each in input order (outputItems.ts).
 */
export async function sendInvoices(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	// n8n saves no static data after manual runs: they neither wait for nor add to what production runs mailed
	const key = processKeyOf(this);
	if (key === undefined) return await sendWithLedger.call(this, new SentLedger(this.getWorkflowStaticData('node')));
	// executions of this node that overlap go one after the other, each knowing what the ones before it mailed
	return await oneAtATime(key, async () => {
		const ledger = new SentLedger(this.getWorkflowStaticData('node'), undefined, key);
		ledger.adoptFromProcess();
		return await sendWithLedger.call(this, ledger);
	});
}

async function sendWithLedger(this: IExecuteFunctions, ledger: SentLedger): Promise<INodeExecutionData[][]> {
	const settings = await readSettings(this);
	const items = this.getInputData();
	const readPdf = async (itemIndex: number): Promise<Buffer | undefined> =>
		items[itemIndex]?.binary?.[settings.binaryProperty] ? await this.helpers.getBinaryDataBuffer(itemIndex, settings.binaryProperty) : undefined;

	const plan = await planMailing(
		items.map((item, itemIndex) => ({ itemIndex, json: item.json })),
		{ ...settings, timeZone: this.getTimezone(), readPdf, ledger },
	);
	const outputs: Outputs = { sent: [], skipped: plan.skipped.map(skippedItem), failed: plan.failed.map(failedInvoiceItem) };

	// a template that fails on real data stops here, before the first mail
	if (plan.groups.length) {
		try {
			settings.template.render(templateData(plan.groups[0], { language: settings.language, seller: settings.seller, sender: settings.sender }));
		} catch (error) {
			throw new NodeOperationError(this.getNode(), `${(error as Error).message}. Nothing was sent.`);
		}
	}

	const delivered = await sendPlannedMails(this, settings, plan, ledger, outputs);
	if (delivered > 0 && this.getMode() === 'manual') {
		this.addExecutionHints({
			message:
				'Manual run: n8n does not save static data after manual runs, so this node will not remember which invoices it just mailed. Send from an active workflow (e.g. with a Schedule or Webhook trigger) for the "already sent" check to last.',
			type: 'warning',
			location: 'outputPane',
		});
	}
	return inInputOrder(outputs);
}
