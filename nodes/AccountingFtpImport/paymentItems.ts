import type { IDataObject, IExecuteFunctions, INodeExecutionData, IPairedItemData } from 'n8n-workflow';

import { matchPayments, type MatchedPayment, type Payment } from '../shared/documents/payments';
import { remoteServer } from '../shared/transports/remoteDirectory';
import { sendErrorReport, type ReportedFailure } from './errorReport';
import type { CollectedPayment, FileError, ImportRun } from './importRun';
import { shiftIsoDate, type ImportPlan, type PaidDate } from './importSettings';

/**
 * Import Payments, step 3: the payments matched to the open invoices of the input, as items paired with the
 * invoices' items; the problems as items on the Errors output (the failed file attached), and in one error
 * report mail per run.
 */

function paidDateOf(payment: Payment, mode: PaidDate, runDate: string): string {
	switch (mode) {
		case 'yesterday':
			return shiftIsoDate(runDate, -1);
		case 'tomorrow':
			return shiftIsoDate(runDate, 1);
		case 'valueDate':
			return payment.valueDate ?? payment.bookingDate ?? runDate;
		default:
			return runDate;
	}
}

function mimeTypeOf(name: string): string {
	const ext = name.toLowerCase().split('.').pop() ?? '';
	if (ext === 'xml') return 'application/xml';
	if (ext === 'csv') return 'text/csv';
	if (['sta', 'mt940', 'txt', 'stm', '940'].includes(ext)) return 'text/plain';
	return 'application/octet-stream';
}

export function dropUndefined(json: IDataObject): IDataObject {
	for (const key of Object.keys(json)) if (json[key] === undefined) delete json[key];
	return json;
}

export function paymentItems(plan: ImportPlan, collected: CollectedPayment[]): INodeExecutionData[] {
	const { settings, invoices } = plan;
	const matched: Array<MatchedPayment | Payment> =
		invoices.invoices.length > 0
			? matchPayments(
					collected.map((c) => c.payment),
					invoices.invoices,
					{ nameSimilarity: settings.nameSimilarity, defaultCurrency: settings.defaultCurrency },
				)
			: collected.map((c) => c.payment);
	const itemOfInvoice = new Map<string, number>();
	invoices.invoices.forEach((inv, i) => {
		if (!itemOfInvoice.has(inv.invoiceNumber)) itemOfInvoice.set(inv.invoiceNumber, invoices.itemIndex[i]);
	});
	return matched.map((payment, i) => {
		const c = collected[i];
		const json: IDataObject = {
			client: c.client,
			...(payment as unknown as IDataObject),
			paidDate: paidDateOf(payment, settings.paidDate, plan.runDate),
			sourceFile: c.file.name,
			sourcePath: c.file.path,
			format: c.format,
			statementId: c.statementId,
		};
		const matchedItems = 'matchedInvoices' in payment ? payment.matchedInvoices.map((m) => itemOfInvoice.get(m.invoiceNumber)) : [];
		const paired: IPairedItemData[] = [...new Set(matchedItems.filter((x): x is number => x !== undefined))].map((item) => ({ item }));
		return { json: dropUndefined(json), pairedItem: paired.length === 0 ? { item: 0 } : paired.length === 1 ? paired[0] : paired };
	});
}

export async function errorItems(ctx: IExecuteFunctions, errors: FileError[]): Promise<INodeExecutionData[]> {
	const items: INodeExecutionData[] = [];
	for (const e of errors) {
		const item: INodeExecutionData = { json: dropUndefined(e.json), pairedItem: { item: 0 } };
		if (e.content && e.file) {
			item.binary = { data: await ctx.helpers.prepareBinaryData(e.content, e.file.name, mimeTypeOf(e.file.name)) };
		}
		items.push(item);
	}
	return items;
}

/** Sends the run's error report (when an address is set) and notes the recipient on each error item. */
export async function reportErrors(plan: ImportPlan, run: ImportRun, items: INodeExecutionData[]): Promise<void> {
	// a run that found another one at work has nothing to report: the other run reports its own problems
	const failures = run.errors.filter((e) => e.report.stage !== 'busy').map((e) => e.report);
	if (!plan.smtp || failures.length === 0) return;
	try {
		const sent = await sendReport(plan, run.baseDirectory, failures);
		for (const item of items) item.json.reportedTo = sent.recipient;
	} catch (error) {
		items.push({
			json: { stage: 'report', reason: `the error report could not be sent to ${plan.settings.errorReportTo}: ${(error as Error).message}`, imported: false },
			pairedItem: { item: 0 },
		});
	}
}

export async function sendReport(plan: ImportPlan, directory: string, failures: ReportedFailure[]): ReturnType<typeof sendErrorReport> {
	return await sendErrorReport(plan.smtp!, plan.settings.errorReportTo, {
		workflowName: plan.workflowName,
		server: remoteServer(plan.ftp),
		directory,
		runAt: plan.runAt,
		failures,
	});
}
