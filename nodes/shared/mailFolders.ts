import type { IExecuteFunctions, ILoadOptionsFunctions, INodeListSearchResult, INodeProperties, IPollFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { imapAccount } from './mailAuth';
import { userFacing } from './nodeErrors';
import { withImapClient } from './transports/imap';
import type { ImapSourceFolders } from './transports/imapSource';

/**
 * A folder of the mailbox as a node parameter: picked from the server's real folder list ("From List",
 * filled by `searchFolders`), or typed as a path ("By Path", e.g. `INBOX/Lieferscheine/Eingang`).
 */
export function mailFolderLocator(
	name: string,
	displayName: string,
	example: string,
	description: string,
	displayOptions?: INodeProperties['displayOptions'],
): INodeProperties {
	return {
		displayName,
		name,
		type: 'resourceLocator',
		default: { mode: 'list', value: '' },
		required: true,
		description,
		...(displayOptions ? { displayOptions } : {}),
		modes: [
			{
				displayName: 'From List',
				name: 'list',
				type: 'list',
				typeOptions: { searchListMethod: 'searchFolders', searchable: true },
			},
			{
				displayName: 'By Path',
				name: 'path',
				type: 'string',
				placeholder: `e.g. ${example}`,
				hint: 'The folder path as your mail program shows it, starting at INBOX',
			},
		],
	};
}

/** The mailbox's selectable folders, for the "From List" mode of the folder pickers (`methods.listSearch`). */
export async function searchFolders(this: ILoadOptionsFunctions, filter?: string): Promise<INodeListSearchResult> {
	let listing;
	try {
		const credentials = await imapAccount(this);
		listing = await withImapClient(credentials, async (client) => await client.list({ listOnly: true }));
	} catch (error) {
		throw userFacing(this, error);
	}
	const wanted = filter?.trim().toLowerCase() ?? '';
	const results = listing
		.filter((f) => ![...f.flags].some((flag) => /^\\(noselect|nonexistent)$/i.test(flag)))
		.map((f) => f.path)
		.filter((path) => !wanted || path.toLowerCase().includes(wanted))
		.sort((a, b) => a.localeCompare(b))
		.map((path) => ({ name: path, value: path }));
	return { results };
}

/** The three folder parameters (inboxFolder, archiveFolder, errorFolder) of a node that consumes a mailbox. */
export function readMailFolders(ctx: IPollFunctions | IExecuteFunctions): ImapSourceFolders {
	const folder = (name: string, label: string): string => {
		const options = { extractValue: true };
		const raw = 'getInputData' in ctx ? ctx.getNodeParameter(name, 0, '', options) : ctx.getNodeParameter(name, '', options);
		const value = String(raw ?? '').trim();
		if (!value) throw new NodeOperationError(ctx.getNode(), `Choose the ${label} folder`);
		return value;
	};
	const folders = { inbox: folder('inboxFolder', 'inbox'), archive: folder('archiveFolder', 'archive'), error: folder('errorFolder', 'error') };
	if (folders.archive === folders.inbox || folders.error === folders.inbox) {
		throw new NodeOperationError(ctx.getNode(), 'The archive and error folders must differ from the inbox folder', {
			description: 'Mails are moved out of the inbox folder once processed; moving them into the same folder would process them again.',
		});
	}
	return folders;
}
