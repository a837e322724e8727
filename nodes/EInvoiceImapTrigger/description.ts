import type { INodeProperties } from 'n8n-workflow';

import { mailFolderLocator } from '../shared/mailFolders';
import { mailTriggerOptionsCollection } from '../shared/mailTrigger';

/** What the Poll Times notice (shared/mailTrigger.ts) advises for supplier invoices. */
export const POLL_TIMES_ADVICE = 'Supplier invoices usually need a check every hour or once a day: set Poll Times accordingly.';

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
	mailTriggerOptionsCollection({
		displayName: 'Max XML Size (MB)',
		name: 'maxXmlSizeMb',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 200 },
		default: 20,
		description: 'The largest invoice XML read, also when unpacked from a PDF: a compressed bomb is stopped at this size',
	}),
];
