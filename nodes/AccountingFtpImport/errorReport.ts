import { headerSafe, isValidMailAddress } from '../shared/mail/addresses';
import { toTransportError } from '../shared/transports/transportError';
import { senderOf, smtpEndpoint, withSmtpTransport, type SmtpCredentials } from '../shared/transports/smtp';

/**
 * The seed's error report ("Sollte der automatische Buchhaltungsimport fehlschlagen, wird an die hier
 * hinterlegte E-Mail-Adresse eine Nachricht verschickt"): one mail per run that had failures, listing each
 * failed file with the reason and the place in the file, the failed files attached (up to a total size).
 */

export interface ReportedFailure {
	/** the file's name; empty for a failure of the whole run (login, directory) */
	file?: string;
	path?: string;
	stage: string;
	reason: string;
	/** "line 6", "Stmt[1]/Ntry[2]" … */
	position?: string;
	/** what happened to the file: kept, moved to …, remembered */
	action?: string;
	/** the file's bytes, to attach */
	content?: Buffer;
}

export interface ErrorReport {
	workflowName: string;
	server: string;
	directory: string;
	runAt: string;
	failures: ReportedFailure[];
	/** the Send Test Report operation: says so in subject and text */
	test?: boolean;
}

/** Attachments beyond this total stay on the server (or in the n8n execution), the mail names them. */
const ATTACHMENT_BUDGET = 10 * 1024 * 1024;

export function composeErrorReport(report: ErrorReport): {
	subject: string;
	text: string;
	attachments: Array<{ filename: string; content: Buffer }>;
} {
	const n = report.failures.length;
	const subject = headerSafe(
		`${report.test ? '[Test] ' : ''}Accounting FTP Import: ${n} problem${n === 1 ? '' : 's'} — ${report.workflowName}`,
	);
	const lines: string[] = [
		report.test
			? 'This is a test of the error report of the Accounting FTP Import. A real report looks like this one.'
			: 'The Accounting FTP Import (Buchhaltungsimport per FTP) could not import everything.',
		'',
		`Workflow:  ${report.workflowName}`,
		`Server:    ${report.server}`,
		`Directory: ${report.directory}`,
		`Run:       ${report.runAt}`,
		'',
	];
	const attachments: Array<{ filename: string; content: Buffer }> = [];
	let budget = ATTACHMENT_BUDGET;
	report.failures.forEach((f, i) => {
		lines.push(`${i + 1}. ${f.file ?? '(the whole run)'}${f.path && f.path !== f.file ? `  [${f.path}]` : ''}`);
		lines.push(`   Problem:  ${f.reason}`);
		if (f.position) lines.push(`   Where:    ${f.position}`);
		lines.push(`   Step:     ${f.stage}`);
		if (f.action) lines.push(`   The file: ${f.action}`);
		if (f.content && f.file) {
			if (f.content.length <= budget) {
				attachments.push({ filename: f.file, content: f.content });
				budget -= f.content.length;
				lines.push('   (attached)');
			} else {
				lines.push('   (not attached: the report is already large; the file is in the n8n execution)');
			}
		}
		lines.push('');
	});
	lines.push(
		'Files that failed are imported again on the next run once the cause is fixed (unless they were moved to the error directory: move them back).',
	);
	return { subject, text: lines.join('\n'), attachments };
}

export interface SentReport {
	recipient: string;
	sender: string;
	messageId: string;
	accepted: string[];
	rejected: string[];
	response: string;
}

/**
 * The recipients of the error report: one address, or several separated by commas, semicolons or new lines
 * (the manual sends it to an employee group). Each one must be a valid address; the first that is not is named.
 */
export function reportRecipients(text: string): string[] {
	const list = text
		.split(/[,;\n]+/)
		.map((a) => a.trim())
		.filter(Boolean);
	const bad = list.find((a) => !isValidMailAddress(a));
	if (bad !== undefined) throw new Error(`The error report address "${bad}" is not a valid e-mail address (several: separate them with commas)`);
	if (list.length === 0) throw new Error('No error report address: give one, or several separated by commas');
	return list;
}

export async function sendErrorReport(account: SmtpCredentials, recipient: string, report: ErrorReport): Promise<SentReport> {
	const recipients = reportRecipients(recipient);
	const to = recipients.join(', ');
	const mail = composeErrorReport(report);
	const sender = senderOf({ senderAddress: account.senderAddress, senderName: headerSafe(account.senderName ?? '') });
	return await withSmtpTransport(account, async (transport) => {
		try {
			const info = await transport.sendMail({ from: sender, to: recipients, subject: mail.subject, text: mail.text, attachments: mail.attachments });
			return {
				recipient: to,
				sender: sender.address,
				messageId: String(info.messageId ?? ''),
				accepted: (info.accepted ?? []).map(String),
				rejected: (info.rejected ?? []).map(String),
				response: String(info.response ?? ''),
			};
		} catch (error) {
			throw toTransportError(error, smtpEndpoint(account), [account.password]);
		}
	});
}
