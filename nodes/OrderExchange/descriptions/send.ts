import type { INodeProperties } from 'n8n-workflow';

const onSend = { operation: ['send'] };

export const sendProperties: INodeProperties[] = [
	{
		displayName: 'Transport',
		name: 'transport',
		type: 'options',
		noDataExpression: true,
		options: [
			{
				name: 'E-Mail',
				value: 'email',
				description: 'Send the documents as attachments to the head office’s mailbox (recommended)',
			},
			{
				name: 'FTP',
				value: 'ftp',
				description: 'Upload the documents into a directory of an FTP, FTPS or SFTP server',
			},
			{
				name: 'Folder',
				value: 'folder',
				description: 'Write the documents into a local folder, or one a cloud client keeps in sync',
			},
		],
		default: 'email',
		displayOptions: { show: onSend },
	},
	{
		displayName: 'Site ID',
		name: 'siteId',
		type: 'string',
		default: '={{ $json.site }}',
		required: true,
		placeholder: 'e.g. homeoffice-1',
		description:
			'ID of this (the sending) site, written into every document; the receiving site checks it against its list of sites and their number ranges. By default the item’s "site" field.',
		displayOptions: { show: onSend },
	},
	{
		displayName: 'To',
		name: 'recipient',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'e.g. auftraege@zentrale.example.com',
		description: 'Mailbox of the receiving site; several addresses separated by commas. Ideally a mailbox used for nothing else.',
		displayOptions: { show: { ...onSend, transport: ['email'] } },
	},
	{
		displayName: 'Mails',
		name: 'mailMode',
		type: 'options',
		options: [
			{ name: 'One Mail per Document', value: 'perDocument', description: 'Subject like "[Order Exchange] homeoffice-1 ORDER 4711"' },
			{ name: 'One Mail per Run', value: 'perRun', description: 'All documents of this run as attachments of a single mail' },
		],
		default: 'perDocument',
		displayOptions: { show: { ...onSend, transport: ['email'] } },
	},
	{
		displayName: 'Directory',
		name: 'remoteDirectory',
		type: 'string',
		default: '',
		placeholder: 'e.g. /auftraege/eingang/',
		description:
			'Directory on the FTP server that the receiving site reads; empty for the login directory. It must exist. Each file is uploaded under a temporary name and renamed when complete.',
		displayOptions: { show: { ...onSend, transport: ['ftp'] } },
	},
	{
		displayName: 'Folder',
		name: 'folderPath',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'e.g. /home/n8n/Nextcloud/Auftraege',
		description:
			'Absolute path of the folder, as the n8n server sees it. It must exist (a missing cloud folder is reported, not created). Each file is written under a temporary name and renamed when complete.',
		displayOptions: { show: { ...onSend, transport: ['folder'] } },
	},
	{
		displayName: 'Options',
		name: 'sendOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: { show: onSend },
		options: [
			{
				displayName: 'Subject Prefix',
				name: 'subjectPrefix',
				type: 'string',
				default: '[Order Exchange]',
				description: 'Start of every mail subject, so that a mail rule or a person recognises the mails',
				displayOptions: { show: { '/transport': ['email'] } },
			},
		],
	},
];
