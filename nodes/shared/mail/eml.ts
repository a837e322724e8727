import MailComposer from 'nodemailer/lib/mail-composer';
import type { SendMailOptions } from 'nodemailer';

/**
 * The message exactly as nodemailer would put it on the wire, as .eml bytes (RFC 5322), for a dry run that
 * someone reviews in their mail program. Built by the same MailComposer that sending uses, so encoded
 * subjects, umlauts in file names and the MIME structure are the ones the customer would get.
 */
export async function composeEml(message: SendMailOptions, options: { keepBcc?: boolean } = {}): Promise<Buffer> {
	// no file or URL reads: attachments here are always bytes, and data must never name a path to read
	const composer = new MailComposer({ ...message, disableFileAccess: true, disableUrlAccess: true });
	const root = composer.compile();
	// a file for review may show the blind copies that sending keeps out of the headers
	root.keepBcc = options.keepBcc === true;
	return await root.build();
}
