import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { CREDENTIAL, fileServerCredentials } from '../shared/credentials';
import { userFacing } from '../shared/nodeErrors';
import { checkRemoteAccess } from '../shared/transports/remoteDirectory';

/** Check Access: lists the directory, writes and deletes a probe file; one item per input item. */
export async function checkAccess(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const items = this.getInputData();
	const credentials = fileServerCredentials(await this.getCredentials(CREDENTIAL.ftp));
	const out: INodeExecutionData[] = [];
	for (let i = 0; i < items.length; i++) {
		const directory = this.getNodeParameter('directory', i, '') as string;
		try {
			const report = await checkRemoteAccess(credentials, directory);
			out.push({ json: report as unknown as IDataObject, pairedItem: { item: i } });
		} catch (error) {
			if (this.continueOnFail()) {
				out.push({ json: { error: (error as Error).message }, pairedItem: { item: i } });
				continue;
			}
			throw userFacing(this, error, i);
		}
	}
	return out;
}
