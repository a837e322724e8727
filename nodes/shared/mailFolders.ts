import type { ILoadOptionsFunctions, INodeListSearchResult, INodeProperties } from 'n8n-workflow';

import { imapAccount } from './mailAuth';
import { userFacing } from './nodeErrors';
import { withImapClient } from './transports/imap';

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
