/**
 * Order Exchange › Receive from a mailbox and from a folder, as the fault suite drives them. The mailbox goes
 * through the same rounds as the trigger (mailbox.ts); the FTP directory through fileRuns.ts (fileSpecs.ts).
 * Each execution follows n8n's static data semantics (its own copy, saved at the end if changed), so that
 * overlapping runs are as in production.
 */
import { mkdtempSync, readdirSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { IDataObject, INode, INodeExecutionData, INodeParameters } from 'n8n-workflow';
import MailComposer from 'nodemailer/lib/mail-composer';

import { writeOpenTrans } from '../../../nodes/shared/documents/orders';
import type { ImapCredentials } from '../../../nodes/shared/transports/imap';
import { multiAppend } from '../../helpers/imapAppend';
import { imapCredentialsFor, loadServers, n8nCredentialData } from '../../helpers/servers';
import { RunnerWorkflow, type Credentials, savedWorkflowId } from '../../helpers/workflowRunner';
import { sampleOrder } from '../../unit/orders/sampleDocuments';
import { Ledger } from '../harness/ledger';
import type { Random } from '../harness/random';
import { freshMailFolders, type MailboxSpec } from './mailbox';

const NODE = 'Order Exchange';

/** The order number of document `id` in the site's range 40000–49999, and back. */
const orderNumber = (id: string) => String(40000 + Number(id));
const idOfNumber = (number: unknown) => String(Number(number) - 40000);
const sites = (site: string) => ({ site: [{ siteId: site, rangeFrom: '40000', rangeTo: '49999' }] });

/** One execution: static data from the saved copy, saved back if changed; the orders of output 0 are handed over. */
async function execution(saved: { staticData: IDataObject }, parameters: INodeParameters, credentials: Credentials, ledger: Ledger): Promise<'items' | 'nothing' | 'failed'> {
	const loaded = JSON.stringify(saved.staticData);
	const node: INode = { id: 'ox', name: NODE, type: 'n8n-nodes-backoffice.orderExchange', typeVersion: 1, position: [0, 0], parameters: structuredClone(parameters) };
	const workflow = new RunnerWorkflow({ id: savedWorkflowId(saved), nodes: [node], connections: {}, staticData: JSON.parse(loaded) as IDataObject });
	const result = await workflow.run(NODE, { credentials, mode: 'trigger' });
	const now = JSON.stringify(workflow.staticData);
	if (now !== loaded) saved.staticData = JSON.parse(now) as IDataObject;
	if (result.error) return 'failed';
	const outputs = (result.run.data.resultData.runData[NODE]?.at(-1)?.data?.main ?? []) as INodeExecutionData[][];
	for (const item of outputs[0] ?? []) ledger.emitted(idOfNumber(item.json.number));
	return outputs.some((items) => items?.length) ? 'items' : 'nothing';
}

/** Order Exchange › Receive from bob's mailbox: one mail per order, its subject the document's id. */
export async function orderReceiveMail(): Promise<MailboxSpec> {
	const bob = imapCredentialsFor('bob', { security: 'tls', allowSelfSigned: true });
	const folders = await freshMailFolders(bob, 'ox-faults');
	const site = `filiale-${Math.random().toString(36).slice(2, 6)}`;
	const locator = (value: string) => ({ __rl: true, mode: 'path', value });
	const parameters: INodeParameters = {
		operation: 'receive',
		transport: 'email',
		inboxFolder: locator(folders.inbox),
		archiveFolder: locator(folders.archive),
		errorFolder: locator(folders.error),
		sites: sites(site),
	};
	const saved = { staticData: {} as IDataObject };
	return {
		protocol: 'Order Exchange mail',
		account: bob,
		folders,
		deliver: async (ids) => {
			const mails = await Promise.all(
				ids.map(async (id) => {
					const xml = writeOpenTrans({ ...sampleOrder(), number: orderNumber(id), site });
					const composer = new MailComposer({
						from: loadServers().users.carol.address,
						to: loadServers().users.bob.address,
						subject: id,
						text: 'Bestellung anbei.',
						attachments: [{ filename: `${site}_ORDER_${orderNumber(id)}.xml`, content: xml, contentType: 'application/xml' }],
					});
					return await composer.compile().build();
				}),
			);
			await multiAppend(bob, folders.inbox, mails);
		},
		handOver: async (account: ImapCredentials, ledger: Ledger) =>
			await execution(saved, parameters, { backofficeImapApi: n8nCredentialData(account) }, ledger),
	};
}

/**
 * Order Exchange › Receive from a local folder (a cloud-synced one, say): no connection to cut, so its faults
 * are overlapping runs only (half of the rounds); every order must still be received once and end in processed/.
 */
export async function orderReceiveFolderScenario(rng: Random, options: { documents: number; log(line: string): void }): Promise<Ledger> {
	const ledger = new Ledger('Order Exchange folder', ['processed', 'failed']);
	const folder = mkdtempSync(path.join(tmpdir(), 'ox-faults-'));
	const site = `filiale-${Math.random().toString(36).slice(2, 6)}`;
	const parameters: INodeParameters = { operation: 'receive', transport: 'folder', inputFolder: folder, sites: sites(site), receiveOptions: { uploadWaitSeconds: 0 } };
	const saved = { staticData: {} as IDataObject };
	let overlaps = 0;
	for (let delivered = 0; delivered < options.documents; ) {
		for (let n = Math.min(options.documents - delivered, rng.int(1, 4)); n > 0; n--) {
			const id = String(++delivered);
			ledger.add(id);
			writeFileSync(path.join(folder, `${site}_ORDER_${orderNumber(id)}.xml`), writeOpenTrans({ ...sampleOrder(), number: orderNumber(id), site }));
		}
		const overlapping = rng.chance(0.5);
		if (overlapping) overlaps++;
		await Promise.all(Array.from({ length: overlapping ? 2 : 1 }, () => execution(saved, parameters, {}, ledger)));
	}
	options.log(`Order Exchange folder: ${overlaps} overlapping runs`);
	for (let i = 0; i < 4 && (await execution(saved, parameters, {}, ledger)) !== 'nothing'; i++);
	const idOfFile = (name: string) => /_ORDER_(\d+)(?:_\d+)?\.xml$/.exec(name)?.[1];
	for (const place of ['', 'processed', 'failed']) {
		const dir = path.join(folder, place);
		for (const name of existsSync(dir) ? readdirSync(dir) : []) {
			const number = idOfFile(name);
			if (number) ledger.foundIn(idOfNumber(number), place || 'folder');
		}
	}
	return ledger;
}
