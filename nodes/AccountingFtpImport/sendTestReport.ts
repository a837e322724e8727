import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { CREDENTIAL } from '../shared/credentials';
import { smtpAccount } from '../shared/mailAuth';
import { TokenRejectedError } from '../shared/transports/oauth2Token';
import { userFacing } from '../shared/nodeErrors';
import { sendErrorReport } from './errorReport';

/** The seed's "Test" button: one sample report, whatever the number of input items. */
export async function sendTestReport(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const recipient = (this.getNodeParameter('errorReportTo', 0, '') as string).trim();
	let account;
	try {
		account = await smtpAccount(this, 'mailAuthentication');
	} catch (error) {
		if (error instanceof TokenRejectedError) throw userFacing(this, error);
		throw new NodeOperationError(this.getNode(), 'Send Test Report needs an SMTP credential: choose one');
	}
	const ftp = await this.getCredentials(CREDENTIAL.ftp).catch(() => undefined);
	try {
		const sent = await sendErrorReport(account, recipient, {
			test: true,
			workflowName: this.getWorkflow().name ?? 'workflow',
			server: ftp ? `${String(ftp.host ?? '')}` : '(FTP server of the import)',
			directory: '(the import directory)',
			runAt: new Date().toISOString(),
			failures: [
				{
					file: 'Zahlungen_Beispiel.sta',
					stage: 'parse',
					reason: 'sample: field :25: (account identification) cannot come after :61: — the file is damaged',
					position: 'line 6',
					action: 'left in place; it is tried again on the next run',
					content: Buffer.from(':20:BEISPIEL\r\n:25:50880050/0194787400888\r\n:28C:00001/001\r\n:60F:C250314EUR0,00\r\n', 'latin1'),
				},
			],
		});
		return [{ json: { ...sent, test: true }, pairedItem: { item: 0 } }];
	} catch (error) {
		if (this.continueOnFail()) return [{ json: { recipient, error: (error as Error).message }, pairedItem: { item: 0 } }];
		throw userFacing(this, error, 0);
	}
}
