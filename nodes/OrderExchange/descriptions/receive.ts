import type { INodeProperties } from 'n8n-workflow';

import { mailFolderLocator } from '../../shared/mailFolders';

const onReceive = { operation: ['receive'] };

/** A folder of the mailbox, shown when Receive reads from an IMAP folder. */
const mailFolder = (name: string, displayName: string, example: string, description: string): INodeProperties =>
	mailFolderLocator(name, displayName, example, description, { show: { ...onReceive, transport: ['email'] } });


export const receiveProperties: INodeProperties[] = [
	{
		displayName: 'Source',
		name: 'transport',
		type: 'options',
		noDataExpression: true,
		options: [
			{
				name: 'Binary Input',
				value: 'binary',
				description: 'The openTRANS files of the input items, e.g. an attachment your mail program saved or a file uploaded by a form',
			},
			{ name: 'E-Mail (IMAP Folder)', value: 'email', description: 'Attachments of the mails in a mailbox folder' },
			{ name: 'Folder', value: 'folder', description: 'Files in a local folder, or one a cloud client keeps in sync' },
			{ name: 'FTP', value: 'ftp', description: 'Files in a directory of an FTP, FTPS or SFTP server' },
		],
		default: 'email',
		displayOptions: { show: onReceive },
	},
	mailFolder(
		'inboxFolder',
		'Inbox Folder',
		'INBOX/Auftraege/Eingang',
		'Folder in which the other sites’ mails arrive. Every mail in it is processed, read or unread.',
	),
	mailFolder('archiveFolder', 'Archive Folder', 'INBOX/Auftraege/Archiv', 'Folder into which a mail is moved once its documents are on an output'),
	mailFolder(
		'errorFolder',
		'Error Folder',
		'INBOX/Auftraege/Fehler',
		'Folder into which a mail is moved when one of its documents is broken or refused. Move it back into the inbox folder to have it processed again.',
	),
	{
		displayName: 'Directory',
		name: 'ftpDirectory',
		type: 'string',
		default: '',
		placeholder: 'e.g. /auftraege/eingang/',
		description: 'Directory on the FTP server that the sending sites upload into; empty for the login directory',
		displayOptions: { show: { ...onReceive, transport: ['ftp'] } },
	},
	{
		displayName: 'After Import',
		name: 'afterImport',
		type: 'options',
		options: [
			{ name: 'Delete the File', value: 'delete' },
			{ name: 'Move the File', value: 'archive', description: 'Into the archive directory below' },
		],
		default: 'archive',
		displayOptions: { show: { ...onReceive, transport: ['ftp'] } },
	},
	{
		displayName: 'Archive Directory',
		name: 'archiveDirectory',
		type: 'string',
		default: 'processed/',
		description: 'Where imported files go; a relative path counts from the directory',
		displayOptions: { show: { ...onReceive, transport: ['ftp'], afterImport: ['archive'] } },
	},
	{
		displayName: 'Error Directory',
		name: 'errorDirectory',
		type: 'string',
		default: 'failed/',
		description: 'Where broken or refused files go; a relative path counts from the directory',
		displayOptions: { show: { ...onReceive, transport: ['ftp'] } },
	},
	{
		displayName: 'Folder',
		name: 'inputFolder',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'e.g. /home/n8n/Nextcloud/Auftraege',
		description: 'Absolute path of the folder that the sending sites write into, as the n8n server sees it',
		displayOptions: { show: { ...onReceive, transport: ['folder'] } },
	},
	{
		displayName: 'Processed Folder',
		name: 'processedFolder',
		type: 'string',
		default: 'processed',
		description: 'Where imported files go; a relative path counts from the folder',
		displayOptions: { show: { ...onReceive, transport: ['folder'] } },
	},
	{
		displayName: 'Failed Folder',
		name: 'failedFolder',
		type: 'string',
		default: 'failed',
		description: 'Where broken or refused files go; a relative path counts from the folder',
		displayOptions: { show: { ...onReceive, transport: ['folder'] } },
	},
	{
		displayName: 'Input Binary Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		description: 'Name of the binary field that holds the openTRANS file; several separated by commas, or * for every binary field of the item',
		displayOptions: { show: { ...onReceive, transport: ['binary'] } },
	},
	{
		displayName: 'Sites',
		name: 'sites',
		type: 'fixedCollection',
		placeholder: 'Add Site',
		default: {},
		typeOptions: { multipleValues: true, sortable: true },
		description:
			'The sites whose documents are imported, each with its own number range. A document from another site, or with a number outside its site’s range, goes to the Errors output.',
		displayOptions: { show: onReceive },
		options: [
			{
				displayName: 'Site',
				name: 'site',
				values: [
					{
						displayName: 'Number Prefix',
						name: 'numberPrefix',
						type: 'string',
						default: '',
						placeholder: 'e.g. AN-7-',
						description: 'The site’s numbers start with this (case ignored); empty: any start',
					},
					{
						displayName: 'Range End',
						name: 'rangeTo',
						type: 'string',
						default: '',
						placeholder: 'e.g. 29999',
						description: 'Highest number (after the prefix) the site may use; empty: no upper bound',
					},
					{
						displayName: 'Range Start',
						name: 'rangeFrom',
						type: 'string',
						default: '',
						placeholder: 'e.g. 20000',
						description:
							'Lowest number (after the prefix) the site may use; empty: no lower bound. With a range, the rest of the number must be digits.',
					},
					{
						displayName: 'Site ID',
						name: 'siteId',
						type: 'string',
						default: '',
						required: true,
						placeholder: 'e.g. homeoffice-1',
						description: 'The ID the sending site writes into its documents (its Order Exchange "Site ID")',
					},
				],
			},
		],
	},
	{
		displayName: 'Changed Document',
		name: 'onChanged',
		type: 'options',
		options: [
			{
				name: 'Renew (Emit as Update)',
				value: 'update',
				description: 'A document imported before whose content changed goes to Orders with action "update"',
			},
			{
				name: 'Ignore',
				value: 'ignore',
				description: 'A document imported before whose content changed goes to Skipped',
			},
		],
		default: 'update',
		description: 'What to do with a document that was imported before (same site, type and number) but whose content has changed',
		displayOptions: { show: onReceive },
	},
	{
		displayName: 'Options',
		name: 'receiveOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: { show: onReceive },
		options: [
			{
				displayName: 'Create Missing Folders',
				name: 'createMissingFolders',
				type: 'boolean',
				default: false,
				description: 'Whether to create the inbox, archive and error folders when they do not exist, instead of stopping with an error',
				displayOptions: { show: { '/transport': ['email'] } },
			},
			{
				displayName: 'File Name Pattern',
				name: 'fileNamePattern',
				type: 'string',
				default: '*.xml',
				description: 'Only files whose name matches are read: a part of the name (case ignored), or a pattern with * and ? for the whole name',
				displayOptions: { show: { '/transport': ['ftp', 'folder'] } },
			},
			{
				displayName: 'Max File Size (MB)',
				name: 'maxFileSizeMb',
				type: 'number',
				typeOptions: { minValue: 0.1, numberPrecision: 1 },
				default: 20,
				description: 'Bigger files and attachments are not read; they go to the Errors output (reason tooLarge)',
			},
			{
				displayName: 'Max Mails or Files per Run',
				name: 'maxPerRun',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 500,
				description: 'Max number of mails or files one run takes, oldest mails and files sorted by name first; the rest waits for the next run',
			},
			{
				displayName: 'Remembered Documents',
				name: 'memoryLimit',
				type: 'number',
				typeOptions: { minValue: 100 },
				default: 5000,
				description:
					'How many imported documents this workflow keeps with their content hash (for the previous content hash of an update); the least recently seen are forgotten first. Duplicates are recognised from n8n\'s database as well (about 10,000 documents per workflow).',
			},
			{
				displayName: 'Shared Memory',
				name: 'sharedMemory',
				type: 'string',
				default: '',
				placeholder: 'e.g. orders',
				description:
					'A name for the memory of imported documents, shared by every Receive node of this workflow that gives the same name (e.g. the mailbox and an upload form), so that a document is imported once whichever way it came. Empty: the node remembers on its own.',
			},
			{
				displayName: 'Upload Wait (Seconds)',
				name: 'uploadWaitSeconds',
				type: 'number',
				typeOptions: { minValue: 0, numberPrecision: 1 },
				default: 2,
				description:
					'A file whose size or time changes within this wait is still being written and is left for the next run. 0: no wait (files written under a temporary name are skipped anyway).',
				displayOptions: { show: { '/transport': ['ftp', 'folder'] } },
			},
		],
	},
];
