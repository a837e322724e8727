import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { FileRecords } from '../shared/fileRecords';
import { userFacing } from '../shared/nodeErrors';
import { processKeyOf } from '../shared/processLock';
import { FingerprintStore } from '../shared/transports/fingerprints';
import type { RemoteFile } from '../shared/transports/ftpSource';
import { TransportError } from '../shared/transports/transportError';
import { newRun, runImport } from './importRun';
import { planImport, type ImportPlan } from './importSettings';
import { errorItems, paymentItems, reportErrors, sendReport } from './paymentItems';

/**
 * Import Payments: settings and input checked (importSettings) → one FTP session that reads, parses and
 * commits each file (importRun) → the payments matched to the open invoices, and the problems, as items
 * (paymentItems). Outputs: Payments and Errors. What was imported and stays is recorded in n8n's processed-data
 * store at the moment of each import (FileRecords); the workflow's static data keeps the files' details as a cache.
 */
export async function importPayments(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const plan = await planImport(this);
	const staticData = this.getWorkflowStaticData('node') as Record<string, unknown>;
	const store = new FingerprintStore(staticData, undefined, processKeyOf(this));
	const claims = await FileRecords.open<RemoteFile>(this, store, staticData);
	const run = newRun(plan);
	try {
		await runImport(this, plan, store, run, claims);
	} catch (error) {
		// nothing was committed when we get here (the run ends without throwing once a file was): it failed as a whole
		store.save();
		await claims.finish();
		return await failedRun(this, plan, run.baseDirectory, error);
	}
	store.save();
	await claims.finish();
	if (store.overLimit) {
		const reason = `more than ${store.size} files are remembered in this directory; the import keeps remembering them all, but the directory should be cleaned up (archive or delete old files)`;
		run.errors.push({ json: { stage: 'remember', reason, imported: false }, report: { stage: 'remember', reason } });
	}
	const payments = paymentItems(plan, run.collected);
	const errors = await errorItems(this, run.errors);
	await reportErrors(plan, run, errors);
	const c = run.counts;
	this.logger.info(
		`Accounting FTP Import: ${c.imported} of ${c.files} file(s) imported with ${payments.length} payment(s), ${run.errors.length} problem(s); ` +
			`${c.remembered} remembered, ${c.uploading} still uploading, ${c.foreign} of other clients, ${c.deferred} deferred, ${c.takenByOther} taken by another run`,
	);
	return [payments, errors];
}

/** A run that failed before any file was committed: reported by mail, then an error (or an Errors item with Continue On Fail). */
async function failedRun(ctx: IExecuteFunctions, plan: ImportPlan, directory: string, error: unknown): Promise<INodeExecutionData[][]> {
	const missing = error instanceof TransportError && error.kind === 'notFound';
	const reason = missing ? `${error.message} Create it, or correct the Directory.` : ((error as Error).message ?? String(error));
	if (plan.smtp && !(error instanceof NodeOperationError)) {
		await sendReport(plan, directory || '(login directory)', [{ stage: 'connection', reason }]).catch(() => undefined);
	}
	if (ctx.continueOnFail()) {
		return [[], [{ json: { stage: 'connection', reason, imported: false }, pairedItem: { item: 0 } }]];
	}
	if (missing) throw new NodeOperationError(ctx.getNode(), reason);
	throw userFacing(ctx, error);
}
