import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { credentialTest } from '../shared/credentials';
import { mailAuthenticationProperty } from '../shared/mailAuth';
import { searchFolders } from '../shared/mailFolders';
import { decideProperties } from './descriptions/decide';
import { matchProperties } from './descriptions/match';
import { operationProperty } from './descriptions/operation';
import { receiveProperties } from './descriptions/receive';
import { sendProperties } from './descriptions/send';
import { decide } from './decide';
import { match } from './match';
import { receive } from './receive';
import { send } from './send';

/**
 * Order Exchange (Auftrag-Import und -Export): quotes and orders travel between the sites of one company —
 * typically a home office that writes quotes and the head office that imports them — as openTRANS 2.1 files,
 * by e-mail (recommended), FTP or a (cloud) folder. Send writes and delivers them; Receive imports them with
 * the site, number-range and duplicate checks; Match links them to this site's articles and addresses.
 */
/** Every transport but e-mail (Send: e-mail, FTP, folder; Receive: also the input's binary). */
const notEmail = ['binary', 'folder', 'ftp'];

export class OrderExchange implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Order Exchange',
		name: 'orderExchange',
		icon: { light: 'file:orderExchange.svg', dark: 'file:orderExchange.dark.svg' },
		group: ['transform'],
		// 2: a received file is deleted or moved once the execution has ended (docs/exactly-once.md); 1: while the node runs
		version: [1, 2],
		// the operation and transport in words, not their values: "Send by e-mail", "Receive from FTP", "Match"
		subtitle:
			'={{$parameter["operation"] === "match" ? ($parameter["matchMode"] === "decision" ? "Match by decision" : "Match") : ($parameter["operation"] === "receive" ? "Receive" : "Send") + ($parameter["transport"] === "email" ? " by e-mail" : $parameter["transport"] === "ftp" ? " by FTP" : $parameter["transport"] === "folder" ? " by folder" : $parameter["transport"] === "binary" ? " from the input" : "")}}',
		description: 'Exchange quotes and orders (openTRANS) between sites by e-mail, FTP or folder, with duplicate, number-range, article and address checks',
		defaults: { name: 'Order Exchange' },
		inputs: [NodeConnectionTypes.Main],
		// one output per outcome, different per operation; n8n evaluates this per node (as its Switch node does)
		outputs: `={{ (($parameter.operation ?? "send") === "receive" ? ["Orders", "Skipped", "Errors"] : ($parameter.operation ?? "send") === "match" ? ["Matched", "Review"] : ["Sent", "Skipped"]).map(name => ({ type: "${NodeConnectionTypes.Main}", displayName: name })) }}`,
		usableAsTool: true,
		// a label per purpose: the editor shows a credential's `displayName` as its field's label
		credentials: [
			{
				name: 'backofficeSmtpApi',
				displayName: 'SMTP Server for Sending',
				required: true,
				testedBy: 'backofficeSmtpApiTest',
				// `hide` on operation and transport, `show` only on the sign-in: n8n 2.41's editor hides every parameter an
				// auth field (one the credentials show on) shows on (test/unit/editor/authFields.test.ts)
				displayOptions: { show: { authentication: ['password'] }, hide: { operation: ['receive', 'match'], transport: notEmail } },
			},
			{
				name: 'backofficeImapApi',
				displayName: 'IMAP Mailbox for Receiving',
				required: true,
				testedBy: 'backofficeImapApiTest',
				displayOptions: { show: { authentication: ['password'] }, hide: { operation: ['send', 'match'], transport: notEmail } },
			},
			{
				name: 'backofficeMailOAuth2Api',
				displayName: 'Mail OAuth2',
				required: true,
				displayOptions: { show: { authentication: ['oAuth2'] }, hide: { operation: ['match'], transport: notEmail } },
			},
			{
				name: 'backofficeFtpApi',
				displayName: 'FTP Server',
				required: true,
				testedBy: 'backofficeFtpApiTest',
				// a `show` that does not name the sign-in: without one, n8n 2.41's editor lists the sign-in's credential
				// types (SMTP, IMAP, Mail OAuth2) in this field instead of FTP credentials (test/unit/editor/authFields.test.ts)
				displayOptions: { show: { operation: ['receive', 'send'] }, hide: { transport: ['binary', 'email', 'folder'] } },
			},
		],
		properties: [
			operationProperty,
			mailAuthenticationProperty('authentication', { hide: { operation: ['match'], transport: notEmail } }),
			...sendProperties,
			...receiveProperties,
			...matchProperties,
			...decideProperties,
		],
	};

	methods = {
		credentialTest: {
			backofficeImapApiTest: credentialTest.backofficeImapApiTest,
			backofficeSmtpApiTest: credentialTest.backofficeSmtpApiTest,
			backofficeFtpApiTest: credentialTest.backofficeFtpApiTest,
		},
		listSearch: { searchFolders },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const operation = this.getNodeParameter('operation', 0) as string;
		if (operation === 'send') return await send.call(this);
		if (operation === 'receive') return await receive.call(this);
		if (this.getNodeParameter('matchMode', 0, 'addressBook') === 'decision') return await decide.call(this);
		return await match.call(this);
	}
}
