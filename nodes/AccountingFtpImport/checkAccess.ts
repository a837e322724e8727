import type { IDataObject, IExecuteFunctions, INodeExecutionData, IPairedItemData } from 'n8n-workflow';

import { CREDENTIAL, fileServerCredentials } from '../shared/credentials';
import { userFacing } from '../shared/nodeErrors';
import { checkRemoteAccess } from '../shared/transports/remoteDirectory';

/**
 * Check Access: lists the directory, writes and deletes a probe file — once per directory the input items name,
 * not once per item (in the payment template the items are the ERP's open invoices); the report's item is paired
 * with every input item that named its directory.
 */
export async function checkAccess(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const credentials = fileServerCredentials(await this.getCredentials(CREDENTIAL.ftp));
	const out: INodeExecutionData[] = [];
	for (const [directory, pairedItem] of directoriesOf(this)) {
		try {
			const report = await checkRemoteAccess(credentials, directory);
			out.push({ json: report as unknown as IDataObject, pairedItem });
		} catch (error) {
			if (this.continueOnFail()) {
				out.push({ json: { error: (error as Error).message }, pairedItem });
				continue;
			}
			throw userFacing(this, error, pairedItem[0].item);
		}
	}
	return out;
}

/** Each directory the input items name, with the items that name it, in the order first named. */
function directoriesOf(ctx: IExecuteFunctions): Map<string, IPairedItemData[]> {
	const directories = new Map<string, IPairedItemData[]>();
	ctx.getInputData().forEach((_, item) => {
		const directory = ctx.getNodeParameter('directory', item, '') as string;
		const items = directories.get(directory);
		if (items) items.push({ item });
		else directories.set(directory, [{ item }]);
	});
	return directories;
}
