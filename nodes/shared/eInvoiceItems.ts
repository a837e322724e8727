import type { IDataObject } from 'n8n-workflow';

import { checkEInvoice, notAnInvoiceInGermany } from './documents/incomingInvoices';
import type { EInvoiceProblem, ReadEInvoice } from './documents/incomingInvoices';

/**
 * An e-invoice as item JSON: the invoice, the result of the run-time check (`check`), and the file it came from
 * (`file`). `problem` says whether it belongs on a Problems output: an error, or a warning when warnings count.
 * One shape for every node that emits received e-invoices (the E-Invoice Reader; a mailbox trigger later).
 */
export function eInvoiceItemJson(read: ReadEInvoice, file: IDataObject, warningsAreProblems = false): { json: IDataObject; problem: boolean } {
	const found = checkEInvoice(read.invoice, read.sources);
	const errors = found.filter((p) => p.severity === 'error');
	const warnings = found.filter((p) => p.severity === 'warning');
	const check: IDataObject = {
		valid: errors.length === 0,
		germanInvoice: notAnInvoiceInGermany(read.invoice.profile) === undefined,
		errors: errors as unknown as IDataObject[],
		warnings: warnings as unknown as IDataObject[],
		summary: summary(errors, warnings),
	};
	const json: IDataObject = { ...(read.invoice as unknown as IDataObject), check, file: { ...file, container: read.container, ...(read.embeddedFileName ? { embeddedFileName: read.embeddedFileName } : {}) } };
	return { json, problem: errors.length > 0 || (warningsAreProblems && warnings.length > 0) };
}

/** One line a person reads in a notification: the rules broken, first three in words. */
function summary(errors: EInvoiceProblem[], warnings: EInvoiceProblem[]): string {
	if (errors.length === 0 && warnings.length === 0) return 'valid';
	const shown = [...errors, ...warnings].slice(0, 3).map((p) => `${p.rule}: ${p.message}`);
	const more = errors.length + warnings.length - shown.length;
	return shown.join('; ') + (more > 0 ? `; and ${more} more` : '');
}
