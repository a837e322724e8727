import type { IDataObject } from 'n8n-workflow';

import type { MailSummary } from '../transports/mailStructure';

/** The mail an item came from, as the mailbox triggers put it on every item: headers, folder, and where it went. */
export function mailJson(mail: MailSummary, folder: string, movedTo: string): IDataObject {
	const json: IDataObject = {};
	if (mail.messageId) json.messageId = mail.messageId;
	json.from = mail.from[0]?.address ?? '';
	if (mail.from[0]?.name) json.fromName = mail.from[0].name;
	json.to = mail.to.map((a) => a.address);
	if (mail.subject !== undefined) json.subject = mail.subject;
	if (mail.date) json.date = mail.date;
	if (mail.receivedAt) json.receivedAt = mail.receivedAt;
	json.folder = folder;
	json.movedTo = movedTo;
	return json;
}
