import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { invoiceNumberOf } from './invoiceItems';
import { planMailing } from './mailPlan';
import { failedInvoiceItem, inInputOrder, skippedItem, type Outputs } from './outputItems';
import { sendPlannedMails } from './run';
import { SentRecords } from './sentRecords';
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
	const settings = await readSettings(this);
	const items = this.getInputData();
	const readPdf = async (itemIndex: number): Promise<Buffer | undefined> =>
		items[itemIndex]?.binary?.[settings.binaryProperty] ? await this.helpers.getBinaryDataBuffer(itemIndex, settings.binaryProperty) : undefined;

	const numbers = items.map((item) => invoiceNumberOf(item.json, settings.names));
	const ledger = await SentRecords.open(this, numbers);
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

	await sendPlannedMails(this, settings, plan, ledger, outputs);
	return inInputOrder(outputs);
}
