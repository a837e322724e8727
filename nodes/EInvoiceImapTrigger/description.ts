import type { INodeProperties } from 'n8n-workflow';

import { mailFolderLocator } from '../shared/mailFolders';

/** As on the Delivery Note IMAP Trigger: n8n's Poll Times starts at every minute, and a node cannot change that. */
export const pollTimesNotice: INodeProperties = {
	displayName:
		'Poll Times starts at "Every Minute" (n8n\'s default for every polling trigger; a node cannot change it). Supplier invoices usually need a check every hour or once a day: set Poll Times accordingly.',
	name: 'pollTimesNotice',
	type: 'notice',
	default: '',
};

export const properties: INodeProperties[] = [
	mailFolderLocator(
		'inboxFolder',
		'Inbox Folder',
		'INBOX/Rechnungseingang/Eingang',
		'Folder in which supplier mails with e-invoices arrive (e.g. by a mail rule). Every mail in it is processed, read or unread.',
	),
	mailFolderLocator('archiveFolder', 'Archive Folder', 'INBOX/Rechnungseingang/Archiv', 'Folder into which a mail is moved once its e-invoices were read'),
	mailFolderLocator(
		'errorFolder',
		'Error Folder',
		'INBOX/Rechnungseingang/Fehler',
		'Folder into which a mail is moved that holds no readable e-invoice. Move it back into the inbox folder to have it processed again.',
	),
	{
		displayName: 'Invoice That Breaks an EN 16931 Rule',
		name: 'rulesBroken',
		type: 'options',
		options: [
			{
				name: 'Move to Error Folder',
				value: 'error',
				description: 'The mail goes to the error folder; the Errors output names the rules (e.g. BR-CO-15), so that a person can return the invoice',
			},
			{
				name: 'Hand Over With Its Check',
				value: 'emit',
				description: 'The invoice goes to the Invoices output like any other; its check.valid is false and check.errors names the rules',
			},
		],
		default: 'error',
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Create Missing Folders',
				name: 'createMissingFolders',
				type: 'boolean',
				default: false,
				description: 'Whether to create the inbox, archive and error folders (and their parents) when they do not exist, instead of stopping with an error',
			},
			{
				displayName: 'Max Attachment Size (MB)',
				name: 'maxAttachmentSizeMb',
				type: 'number',
				typeOptions: { minValue: 0.1, numberPrecision: 1 },
				default: 20,
				description: 'Bigger attachments are not downloaded; their mail goes to the error folder with reason ATTACHMENT_TOO_LARGE',
			},
			{
				displayName: 'Max Mails per Poll',
				name: 'maxMailsPerPoll',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 500,
				description: 'Max number of mails one poll processes, oldest first; the rest waits for the next poll',
			},
			{
				displayName: 'Max XML Size (MB)',
				name: 'maxXmlSizeMb',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 200 },
				default: 20,
				description: 'The largest invoice XML read, also when unpacked from a PDF: a compressed bomb is stopped at this size',
			},
		],
	},
];
