import type { INodeProperties } from 'n8n-workflow';

import { mailFolderLocator } from '../shared/mailFolders';
import { mailTriggerOptionsCollection } from '../shared/mailTrigger';

const csvColumn = (name: string, displayName: string, description: string, required = false): INodeProperties => ({
	displayName,
	name,
	type: 'string',
	default: '',
	required,
	placeholder: 'e.g. Lieferscheinnummer or 1',
	description: `${description} Header name, or column number counting from 1`,
	displayOptions: { show: { format: ['csv'] } },
});

/** What the Poll Times notice (shared/mailTrigger.ts) advises for delivery notes. */
export const POLL_TIMES_ADVICE = 'Delivery notes usually need one check a day: set Poll Times to "Every Day" and the hour you want, e.g. 6:00.';

export const properties: INodeProperties[] = [
	mailFolderLocator(
		'inboxFolder',
		'Inbox Folder',
		'INBOX/Lieferscheine/Eingang',
		'Folder in which supplier mails with delivery notes arrive (e.g. by a mail rule). Every mail in it is processed, read or unread.',
	),
	mailFolderLocator(
		'archiveFolder',
		'Archive Folder',
		'INBOX/Lieferscheine/Archiv',
		'Folder into which a mail is moved once all its delivery notes were read',
	),
	mailFolderLocator(
		'errorFolder',
		'Error Folder',
		'INBOX/Lieferscheine/Fehler',
		'Folder into which a mail is moved that could not be read. Move it back into the inbox folder to have it processed again.',
	),
	{
		displayName: 'Suppliers',
		name: 'suppliers',
		type: 'fixedCollection',
		placeholder: 'Add Supplier',
		default: {},
		typeOptions: { multipleValues: true, sortable: true },
		description: 'Whose mails are read, and in which format each supplier sends delivery notes',
		options: [
			{
				displayName: 'Supplier',
				name: 'supplier',
				// who and which format first, the CSV mapping after it (shown only for CSV): not alphabetical on purpose
				// eslint-disable-next-line n8n-nodes-base/node-param-fixed-collection-type-unsorted-items
				values: [
					{
						displayName: 'Name',
						name: 'name',
						type: 'string',
						default: '',
						required: true,
						placeholder: 'e.g. Müller Optik GmbH',
						description: 'Name of the supplier, passed on with each delivery note',
					},
					{
						displayName: 'Sender',
						name: 'sender',
						type: 'string',
						default: '',
						required: true,
						placeholder: 'e.g. lieferschein@mueller-optik.de, *@mueller-optik.de',
						description:
							'Sender address of the supplier’s mails, or *@domain for every address of a domain. Several separated by commas.',
					},
					{
						displayName: 'Format',
						name: 'format',
						type: 'options',
						options: [
							{
								name: 'openTRANS 2.1 DISPATCHNOTIFICATION',
								value: 'opentrans',
								description: 'XML delivery note (Lieferavis) per openTRANS 2.1',
							},
							{
								name: 'EDIFACT DESADV (D.96A / EANCOM)',
								value: 'desadv',
								description: 'EDIFACT despatch advice; one interchange may hold several delivery notes',
							},
							{
								name: 'CSV',
								value: 'csv',
								description: 'A CSV file, one line per delivery note line, with the column mapping below',
							},
						],
						default: 'opentrans',
					},
					{
						displayName: 'Delimiter',
						name: 'csvDelimiter',
						type: 'options',
						options: [
							{ name: 'Semicolon (;)', value: ';' },
							{ name: 'Comma (,)', value: ',' },
							{ name: 'Tab', value: '\t' },
							{ name: 'Pipe (|)', value: '|' },
						],
						default: ';',
						displayOptions: { show: { format: ['csv'] } },
					},
					{
						displayName: 'Decimal Separator',
						name: 'csvDecimalSeparator',
						type: 'options',
						options: [
							{ name: 'Comma (1,5)', value: ',' },
							{ name: 'Point (1.5)', value: '.' },
						],
						default: ',',
						displayOptions: { show: { format: ['csv'] } },
					},
					{
						displayName: 'Encoding',
						name: 'csvEncoding',
						type: 'options',
						options: [
							{ name: 'UTF-8', value: 'utf-8' },
							{ name: 'Windows-1252 (ANSI)', value: 'windows-1252' },
							{ name: 'ISO-8859-1 (Latin-1)', value: 'iso-8859-1' },
						],
						default: 'utf-8',
						description: 'Character encoding of the file; a byte-order mark in the file overrides it',
						displayOptions: { show: { format: ['csv'] } },
					},
					{
						displayName: 'Header Row',
						name: 'csvHeaderRow',
						type: 'boolean',
						default: true,
						description: 'Whether the first row holds column names instead of data',
						displayOptions: { show: { format: ['csv'] } },
					},
					csvColumn('csvDeliveryNoteNumber', 'Delivery Note Number Column', 'Column with the delivery note number.', true),
					csvColumn('csvDate', 'Date Column', 'Column with the delivery note date.'),
					csvColumn('csvLineNumber', 'Line Number Column', 'Column with the line (position) number; without it, lines are numbered from 1.'),
					csvColumn('csvOrderNumber', 'Order Number Column', 'Column with your order number.'),
					csvColumn('csvArticleNumber', 'Article Number Column', 'Column with the supplier’s article number.'),
					csvColumn('csvGtin', 'GTIN Column', 'Column with the GTIN (EAN).'),
					csvColumn('csvDescription', 'Description Column', 'Column with the article description.'),
					csvColumn('csvQuantity', 'Quantity Column', 'Column with the delivered quantity.', true),
					csvColumn('csvUnit', 'Unit Column', 'Column with the unit of the quantity.'),
				],
			},
		],
	},
	{
		displayName: 'Mail From an Unknown Sender',
		name: 'unknownSender',
		type: 'options',
		options: [
			{
				name: 'Move to Error Folder',
				value: 'error',
				description: 'Move the mail to the error folder and report it on the Errors output',
			},
			{
				name: 'Leave in Inbox',
				value: 'leave',
				description: 'Leave the mail where it is; it is looked at again when the list of suppliers changes',
			},
		],
		default: 'error',
	},
	mailTriggerOptionsCollection(),
];
