import type { IDataObject, IExecuteFunctions, IPollFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { userFacing } from './nodeErrors';
import type { ImapCredentials } from './transports/imap';
import { consumeImapFolder, type ConsumeOptions, type ConsumeReport, type MailboxMemory } from './transports/imapConsumer';
import { uidSet } from './transports/imapSource';

/**
 * Drives a mailbox source for a node (the Delivery Note IMAP Trigger and Order Exchange Receive): takes the
 * poll budget and the node's static data as the consumer's memory, runs one poll, maps failures to n8n errors,
 * and turns what went wrong without failing the run into standard problem items.
 */

export interface MailboxProblem extends IDataObject {
	reason: 'notMoved' | 'connectionLost';
	message: string;
	source: IDataObject;
}

export interface MailboxRun<T> {
	report: ConsumeReport<T>;
	/** mails that stay in the inbox because their move was refused, and a poll that stopped early */
	problems: MailboxProblem[];
}

export interface MailboxRunOptions<T> extends Omit<ConsumeOptions<T>, 'deadline' | 'memory'> {
	/** names the node in log lines */
	label: string;
	/** the error of a manual run while another poll of the same inbox is running */
	busy: { message: string; description: string };
}

/** Runs one poll; null when another poll of the same inbox is running (nothing to do for this one). */
export async function consumeMailbox<T>(
	ctx: IPollFunctions | IExecuteFunctions,
	credentials: ImapCredentials,
	options: MailboxRunOptions<T>,
): Promise<MailboxRun<T> | null> {
	const { label, busy, ...consume } = options;
	let report: ConsumeReport<T>;
	try {
		report = await consumeImapFolder<T>(credentials, {
			...consume,
			deadline: deadlineOf(ctx),
			abandonAt: abandonAtOf(ctx),
			// leftInInbox and handedOver; n8n saves the static data together with the poll's result
			memory: ctx.getWorkflowStaticData('node') as MailboxMemory,
		});
	} catch (error) {
		throw userFacing(ctx, error);
	}
	const prefix = `${label} (${report.folders.inbox})`;
	if (report.busy) {
		// the running poll takes care of the mails; a second one would only fetch what the first one moves
		if (ctx.getMode() === 'manual') throw new NodeOperationError(ctx.getNode(), busy.message, { description: busy.description });
		const where = report.busyHolder
			? `in another process (${report.busyHolder.holder}; its lease ends at the latest at ${report.busyHolder.expires.toISOString()})`
			: 'in this process';
		ctx.logger.info(`${prefix}: skipped, another poll of this inbox folder is still running ${where}`);
		return null;
	}
	if (report.abandoned) {
		ctx.logger.warn(`${prefix}: this poll outlived its time budget and n8n no longer takes its result; the mails it moved are handed over by the next poll`);
		return null;
	}
	if (report.interruption && !report.committed.length && !report.failed.length) throw userFacing(ctx, report.interruption);
	if (report.rolledBack) {
		ctx.logger.warn(`${prefix}: ${report.rolledBack} mail(s) an earlier poll moved but never handed over were moved back into the inbox`);
	}
	if (report.rollBackRefused) {
		ctx.logger.warn(`${prefix}: the server refused to move ${report.rollBackRefused} unfinished mail(s) back into the inbox; tried again next poll`);
	}
	if (report.leaseUnavailable) {
		ctx.logger.warn(`${prefix}: ${report.leaseUnavailable}; this poll ran without the lease that keeps other n8n processes from polling this inbox folder at the same time`);
	}
	if (report.leaseLost) {
		ctx.logger.warn(`${prefix}: this poll outlived its lease and another process took the inbox folder over; it stopped before its next batch`);
	}
	if (report.more && !report.interruption) ctx.logger.info(`${prefix}: more mails are waiting; they follow with the next run`);
	return { report, problems: problemsOf(report) };
}

/**
 * n8n abandons a poll that outlives its budget; a poll must stop taking mails well before, or mails it moved
 * would never reach the workflow (getPollBudgetMs exists from n8n 2.41 on). An action node has no budget:
 * its Max Mails per Run bounds the work.
 */
function deadlineOf(ctx: IPollFunctions | IExecuteFunctions): number {
	if ('getInputData' in ctx) return Date.now() + 30 * 60_000;
	const budgetMs = typeof ctx.getPollBudgetMs === 'function' ? ctx.getPollBudgetMs() : 5 * 60_000;
	return Date.now() + budgetMs - Math.min(10_000, budgetMs * 0.1);
}

/** A poll's result is dropped once it outlives its budget (durable scheduler); an action node's never is. */
function abandonAtOf(ctx: IPollFunctions | IExecuteFunctions): number | undefined {
	if ('getInputData' in ctx || typeof ctx.getPollBudgetMs !== 'function') return undefined;
	return Date.now() + ctx.getPollBudgetMs();
}

function problemsOf<T>(report: ConsumeReport<T>): MailboxProblem[] {
	const problems: MailboxProblem[] = [];
	// one item per cause, not per mail: a deleted archive folder refuses a whole batch
	const causes = new Map<string, number[]>();
	for (const refused of report.notMoved) {
		const cause = `moving to the ${refused.action === 'commit' ? 'archive' : 'error'} folder failed${refused.refusal ? `: ${refused.refusal}` : ''}`;
		causes.set(cause, [...(causes.get(cause) ?? []), refused.uid]);
	}
	for (const [cause, uids] of causes) {
		problems.push({
			reason: 'notMoved',
			message: `${uids.length} mail(s) stay in the inbox folder and are processed again by the next run: ${cause}`,
			source: { transport: 'email', folder: report.folders.inbox, uids: uidSet(uids) },
		});
	}
	if (report.interruption) {
		problems.push({
			reason: 'connectionLost',
			message: `${report.interruption.message} The mails not yet processed wait for the next run.`,
			source: { transport: 'email', folder: report.folders.inbox },
		});
	}
	return problems;
}
