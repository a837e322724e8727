/**
 * Nodes that take mails from an inbox folder under faults (the Delivery Note IMAP Trigger; Order Exchange by
 * mail): mails arrive a few at a time, in a burst now and then (a poll of two batches, its fault at the later
 * batch's commands); every poll goes through a fault proxy (plain IMAP with command positions, or implicit TLS
 * on 993 with byte positions) with one fault placed; some polls overlap; a few faults restart Dovecot while a
 * command or reply is held. Then polls without faults until nothing is left,
 * and every mail is accounted: emitted by which polls, and where it ended.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import type { INodeExecutionData } from 'n8n-workflow';
import MailComposer from 'nodemailer/lib/mail-composer';

import { withImapClient, type ImapCredentials } from '../../../nodes/shared/transports/imap';
import { multiAppend } from '../../helpers/imapAppend';
import { imapCredentialsFor, loadServers, n8nCredentialData } from '../../helpers/servers';
import { RunnerWorkflow } from '../../helpers/workflowRunner';
import { byteCut, commandCut } from '../harness/faultChoice';
import { FaultProxy, type Fault } from '../harness/faultProxy';
import { Ledger } from '../harness/ledger';
import type { Random } from '../harness/random';
import { serverFault } from '../harness/serverControl';

const MINIMAL = readFileSync(path.join(__dirname, '../../fixtures/opentrans/minimal_valid_dispatchnotification_with_delivery_reference.xml'), 'utf8');
const SUPPLIER = 'lieferschein@itscope.example';

export interface MailFolders {
	inbox: string;
	archive: string;
	error: string;
}

export interface ScenarioOptions {
	documents: number;
	/** faults that must hit before the faulty rounds end */
	hits: number;
	/** at most this many Dovecot restarts (each costs seconds) */
	restarts: number;
	/**
	 * rounds that bring `BURST` mails at once instead of a few (counted in `documents`): a poll of two batches, the
	 * first of 50 mails and a second sized by their sizes (imapConsumer.ts `nextBatchSize`), so that faults also hit
	 * a later batch's FETCH, mark and MOVE
	 */
	bursts?: number;
	log(line: string): void;
}

const BURST = 55;

/**
 * A burst's fault, at one of its poll's UID commands after the first: the FETCH of the second batch (sent while
 * the first is judged), the STOREs (marks) and MOVEs of both batches, the STORE that clears the marks.
 */
function laterBatchCut(rng: Random, whileHeld?: { label: string; action: () => Promise<void> }): Fault {
	const cut = commandCut(rng, 6, whileHeld);
	return { ...cut, at: cut.at + 1, match: /^\S+ UID (FETCH|STORE|MOVE) /i, label: `${cut.label} (burst)` };
}

export async function freshMailFolders(account: ImapCredentials, name: string): Promise<MailFolders> {
	const base = `INBOX/${name}-${Math.random().toString(36).slice(2, 8)}`;
	const folders = { inbox: `${base}/Eingang`, archive: `${base}/Archiv`, error: `${base}/Fehler` };
	await withImapClient(account, async (client) => {
		for (const folder of [base, ...Object.values(folders)]) await client.mailboxCreate(folder.split('/'));
	});
	return folders;
}

/** The subjects of the mails in a folder (one entry per mail). */
export async function subjectsIn(account: ImapCredentials, folder: string): Promise<string[]> {
	return await withImapClient(account, async (client) => {
		await client.mailboxOpen(folder, { readOnly: true });
		if (!client.mailbox || !client.mailbox.exists) return [];
		return (await client.fetchAll('1:*', { envelope: true })).map((m) => m.envelope?.subject ?? '');
	});
}

async function deliverNotes(account: ImapCredentials, folder: string, ids: string[], withMessageId: (i: number) => boolean): Promise<void> {
	const mails = await Promise.all(
		ids.map(async (id, i) => {
			const note = MINIMAL.replace('dispatch-id-2', `LS-${id}`);
			const composer = new MailComposer({
				from: `ITscope Lieferavis <${SUPPLIER}>`,
				to: loadServers().users.alice.address,
				subject: id,
				// without a Message-ID header for half of them: nothing may depend on it
				...(withMessageId(i) ? { messageId: `<${id}@itscope.example>` } : {}),
				text: 'Anbei unser Lieferschein.',
				attachments: [{ filename: `LS-${id}.xml`, content: note, contentType: 'application/xml' }],
			});
			const built = await composer.compile().build();
			return withMessageId(i) ? built : Buffer.from(built.toString('latin1').replace(/^Message-ID: [^\r\n]*\r\n/im, ''), 'latin1');
		}),
	);
	await multiAppend(account, folder, mails);
}

function triggerWorkflow(folders: MailFolders): RunnerWorkflow {
	const locator = (value: string) => ({ __rl: true, mode: 'path', value });
	return new RunnerWorkflow({
		nodes: [
			{
				id: 'trigger',
				name: 'Trigger',
				type: 'n8n-nodes-backoffice.deliveryNoteImapTrigger',
				typeVersion: 1,
				position: [0, 0],
				parameters: {
					inboxFolder: locator(folders.inbox),
					archiveFolder: locator(folders.archive),
					errorFolder: locator(folders.error),
					suppliers: { supplier: [{ name: 'ITscope', sender: SUPPLIER, format: 'opentrans' }] },
					unknownSender: 'error',
					options: {},
				},
				credentials: { backofficeImapApi: { id: '1', name: 'Lieferscheine' } },
			},
		],
		connections: {},
	});
}

/** One tick of the active trigger; what `poll()` returned is handed over (n8n then runs the workflow with it). */
async function poll(workflow: RunnerWorkflow, account: ImapCredentials, ledger: Ledger): Promise<'items' | 'nothing' | 'failed'> {
	let polled: INodeExecutionData[][] | null;
	try {
		({ polled } = await workflow.pollOnce('Trigger', { credentials: { backofficeImapApi: n8nCredentialData(account) } }));
	} catch {
		return 'failed';
	}
	if (!polled) return 'nothing';
	for (const item of polled[0] ?? []) ledger.emitted(String(item.json.deliveryNoteNumber).replace(/^LS-/, ''));
	for (const item of polled[1] ?? []) ledger.emitted(String(item.json.subject));
	return 'items';
}

/** A node that takes mails from an inbox folder (the trigger, or Order Exchange › Receive), as the suite drives it. */
export interface MailboxSpec {
	protocol: string;
	/** the mailbox's owner, over implicit TLS */
	account: ImapCredentials;
	folders: MailFolders;
	/** puts the documents with these ids into the inbox */
	deliver(ids: string[]): Promise<void>;
	/** one poll / run through `account`; notes what it handed over; says 'nothing' when it had nothing to do */
	handOver(account: ImapCredentials, ledger: Ledger): Promise<'items' | 'nothing' | 'failed'>;
}

/**
 * Rounds of: a few new mails (or a burst of `BURST`), one fault placed (plain IMAP with command positions, or
 * implicit TLS with byte positions; a few Dovecot restarts while a command or reply is held; a burst's fault at a
 * UID command after its first FETCH), one poll or two overlapping ones. Then
 * polls without faults until nothing is left, and every mail accounted by its subject (= its id).
 */
export async function mailboxScenario(rng: Random, spec: MailboxSpec, options: ScenarioOptions): Promise<Ledger> {
	const s = loadServers();
	const ledger = new Ledger(spec.protocol, ['archive', 'error']);
	const plain = await new FaultProxy({ host: s.host, port: s.imap.port }, 'imap').start();
	const tls = await new FaultProxy({ host: s.host, port: s.imap.tlsPort }, 'bytes').start();
	let delivered = 0;
	let commands = 22;
	let restarts = 0;
	let bursts = options.bursts ?? 0;
	const tlsBytes = { toServer: 1500, toClient: 6000 };
	try {
		for (let round = 0; round < options.hits * 2 && (ledger.hits < options.hits || delivered < options.documents); round++) {
			const burst = bursts > 0 && round % 8 === 3;
			if (burst) bursts--;
			const ids = Array.from({ length: Math.min(options.documents - delivered, burst ? BURST : rng.int(1, 4)) }, (_, i) => String(delivered + i + 1));
			ids.forEach((id) => ledger.add(id));
			if (ids.length) await spec.deliver(ids);
			delivered += ids.length;
			const overTls = !burst && rng.chance(0.25);
			const restart = !overTls && restarts < options.restarts && rng.chance(0.12);
			if (restart) restarts++;
			const proxy = overTls ? tls : plain;
			const held = restart ? { label: 'Dovecot restart', action: () => serverFault('restart-dovecot') } : undefined;
			proxy.arm(overTls ? byteCut(rng, tlsBytes, 'IMAPS cut') : burst ? laterBatchCut(rng, held) : commandCut(rng, commands, held));
			const account = overTls ? { ...spec.account, port: tls.port } : { ...spec.account, port: plain.port, security: 'none' as const };
			const overlapping = rng.chance(0.2);
			const began = Date.now();
			const outcomes = await Promise.all(Array.from({ length: overlapping ? 2 : 1 }, () => spec.handOver(account, ledger)));
			const record = await proxy.settle();
			ledger.fault(record);
			if (process.env.BO_FAULT_VERBOSE) options.log(`  ${record?.label} ${record?.command ?? ''} at ${record?.at} hit=${record?.hit}: ${outcomes.join('+')} ${Date.now() - began} ms`);
			// positions up to the length of a whole poll (one the fault missed), so that MOVE and STORE are reached too
			if (overTls && !record?.hit) for (const d of ['toServer', 'toClient'] as const) tlsBytes[d] = Math.max(500, tls.longest[d]);
			else if (!record?.hit) commands = Math.max(8, plain.commandsSinceArm);
		}
	} finally {
		await plain.stop();
		await tls.stop();
	}
	options.log(`${spec.protocol}: faults ${ledger.faultSummary()}`);
	// recovery: polls without faults until a poll finds nothing
	for (let i = 0; i < 8 && (await spec.handOver(spec.account, ledger)) !== 'nothing'; i++);
	for (const [place, folder] of Object.entries(spec.folders)) for (const subject of await subjectsIn(spec.account, folder)) ledger.foundIn(subject, place);
	return ledger;
}

/** The Delivery Note IMAP Trigger: alice's mails with one openTRANS delivery note each, half without Message-ID. */
export async function deliveryNoteTrigger(): Promise<MailboxSpec> {
	const alice = imapCredentialsFor('alice', { security: 'tls', allowSelfSigned: true });
	const folders = await freshMailFolders(alice, 'faults');
	const workflow = triggerWorkflow(folders);
	return {
		protocol: 'IMAP trigger',
		account: alice,
		folders,
		deliver: async (ids) => await deliverNotes(alice, folders.inbox, ids, (i) => Number(ids[i]) % 2 === 0),
		handOver: async (account, ledger) => await poll(workflow, account, ledger),
	};
}
