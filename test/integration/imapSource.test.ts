/**
 * The IMAP consumer (ImapSource / consumeImapFolder) below the node, for what the node's tests cannot
 * reach: a MOVE whose outcome stays unknown because the server cannot be reached again within the poll.
 */
import MailComposer from 'nodemailer/lib/mail-composer';

import { TransportError } from '../../nodes/shared/transports/transportError';
import { withImapClient } from '../../nodes/shared/transports/imap';
import { consumeImapFolder, type ConsumeReport, type MailboxMemory } from '../../nodes/shared/transports/imapConsumer';
import { ImapSource, uidSet, parseUidSet } from '../../nodes/shared/transports/imapSource';
import { multiAppend } from '../helpers/imapAppend';
import { ImapProxy } from '../helpers/imapProxy';
import { imapCredentialsFor } from '../helpers/servers';

const alice = imapCredentialsFor('alice', { security: 'tls', allowSelfSigned: true });

async function freshFolders(name: string) {
	const base = `INBOX/${name}-${Math.random().toString(36).slice(2, 8)}`;
	const folders = { inbox: `${base}/Eingang`, archive: `${base}/Archiv`, error: `${base}/Fehler` };
	await withImapClient(alice, async (client) => {
		for (const path of [base, ...Object.values(folders)]) await client.mailboxCreate(path.split('/'));
	});
	return folders;
}

async function count(folder: string): Promise<number> {
	return await withImapClient(alice, async (client) => {
		const status = await client.status(folder, { messages: true });
		return status ? (status.messages ?? 0) : 0;
	});
}

async function mails(n: number): Promise<Buffer[]> {
	return await Promise.all(
		Array.from({ length: n }, (_, i) => new MailComposer({ from: 'a@example.com', subject: `m${i}`, text: `m${i}` }).compile().build()),
	);
}

describe('uidSet', () => {
	it('compresses UIDs into ranges and back', () => {
		expect(uidSet([7, 1, 2, 3, 9, 10])).toBe('1:3,7,9:10');
		expect(parseUidSet('1:3,7,9:10')).toEqual([1, 2, 3, 7, 9, 10]);
		expect(uidSet([])).toBe('');
	});
});

describe('ImapSource.fetchEnvelopes', () => {
	it("returns the mails asked for, not another session's flag change that came with the answer", async () => {
		const folders = await freshFolders('flags');
		await multiAppend(alice, folders.inbox, await mails(3));
		await withImapClient(alice, async (client) => {
			const source = new ImapSource(client);
			await source.openFolders(folders, { createMissing: false });
			await source.selectInbox();
			// a mail program marks the first mail read; the server tells this session with its next answer
			await withImapClient(alice, async (other) => {
				await other.mailboxOpen(folders.inbox);
				await other.messageFlagsAdd('1', ['\\Seen'], { uid: true });
			});
			const batch = await source.fetchEnvelopes([2, 3]);
			// toStrictEqual: toEqual would take [2, 3, undefined] for [2, 3]
			expect(batch.map((mail) => mail.uid)).toStrictEqual([2, 3]);
			expect(batch.map((mail) => mail.subject)).toStrictEqual(['m1', 'm2']);
		});
	});
});

describe('consumeImapFolder', () => {
	it('moves mails whose MOVE could not be confirmed back into the inbox on the next poll, so each is reported exactly once', async () => {
		const folders = await freshFolders('pending');
		await multiAppend(alice, folders.inbox, await mails(10));
		const proxy = await new ImapProxy().start();
		const viaProxy = { ...alice, port: proxy.port, security: 'none' as const };
		// what n8n keeps between polls (the node's static data)
		const memory: MailboxMemory = {};
		const consume = async (deadlineMs: number): Promise<ConsumeReport<string>> =>
			await consumeImapFolder<string>(viaProxy, {
				folders,
				memory,
				createMissingFolders: false,
				maxMessages: 100,
				batchSize: 4,
				deadline: Date.now() + deadlineMs,
				decide: async (batch) => batch.map((m) => ({ uid: m.uid, action: 'commit' as const, result: m.subject! })),
			});
		// the second batch's MOVE is carried out, its answer is lost, and the server stays unreachable
		proxy.on({
			match: /UID MOVE/,
			skip: 1,
			cutAfterAnswer: true,
			before: async () => {
				proxy.refuseConnections = true;
			},
		});
		let first: ConsumeReport<string>;
		let second: ConsumeReport<string>;
		try {
			first = await consume(2_000);
			expect(first.interruption).toBeInstanceOf(TransportError);
			expect((first.interruption as TransportError).kind).toBe('connectionLost');
			expect(first.committed).toEqual(['m0', 'm1', 'm2', 'm3']);
			// moved by the server, but not reported: they sit in the archive unreported until the next poll
			expect(await count(folders.archive)).toBe(8);

			proxy.refuseConnections = false;
			second = await consume(60_000);
		} finally {
			await proxy.stop();
		}
		expect(second.rolledBack).toBe(4);
		const all = [...first.committed, ...second.committed];
		expect(all.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`).sort());
		expect(await count(folders.inbox)).toBe(0);
		expect(await count(folders.archive)).toBe(10);
	});

	it('takes a first batch of 50 mails, then small mails in larger batches (fewer FETCH, STORE and MOVE commands)', async () => {
		const folders = await freshFolders('batches');
		await multiAppend(alice, folders.inbox, await mails(70));
		const proxy = await new ImapProxy().start();
		let report: ConsumeReport<string>;
		try {
			report = await consumeImapFolder<string>(
				{ ...alice, port: proxy.port, security: 'none' },
				{
					folders,
					createMissingFolders: false,
					maxMessages: 100,
					deadline: Date.now() + 60_000,
					decide: async (batch) => batch.map((m) => ({ uid: m.uid, action: 'commit' as const, result: m.subject! })),
				},
			);
		} finally {
			await proxy.stop();
		}
		expect(report.committed).toHaveLength(70);
		const sets = (verb: string) => proxy.commands.filter((c) => c.includes(`UID ${verb} `)).map((c) => c.split(' ')[3]);
		expect(sets('FETCH')).toStrictEqual(['1:50', '51:70']);
		expect(sets('MOVE')).toStrictEqual(['1:50', '51:70']);
		expect(await count(folders.archive)).toBe(70);
	});

	it('marks, moves and clears without an answer per mail (no CONDSTORE session), into folders named with umlauts', async () => {
		const base = `INBOX/umlaut-${Math.random().toString(36).slice(2, 8)}`;
		const folders = { inbox: `${base}/Eingang`, archive: `${base}/Geprüft`, error: `${base}/Überprüfen` };
		await withImapClient(alice, async (client) => {
			for (const path of [base, folders.inbox]) await client.mailboxCreate(path.split('/'));
		});
		await multiAppend(alice, folders.inbox, await mails(20));
		const proxy = await new ImapProxy().start();
		let answers = '';
		proxy.onServerData = (chunk) => (answers += chunk.toString('latin1'));
		try {
			const report = await consumeImapFolder<string>({ ...alice, port: proxy.port, security: 'none' }, {
				folders,
				createMissingFolders: true,
				maxMessages: 100,
				deadline: Date.now() + 60_000,
				decide: async (batch) => batch.map((m) => ({ uid: m.uid, action: m.subject === 'm3' ? ('fail' as const) : ('commit' as const), result: m.subject! })),
			});
			expect(report.committed).toHaveLength(19);
			expect(report.failed).toEqual(['m3']);
		} finally {
			await proxy.stop();
		}
		expect(proxy.commands.filter((c) => / (UID STORE|UID MOVE) /.test(c)).length).toBeGreaterThanOrEqual(4);
		expect(proxy.commands.some((c) => / ENABLE /.test(c))).toBe(false);
		// a CONDSTORE session would have been told each mail's new MODSEQ after every STORE: 20 marks, 20 cleared
		expect(answers).not.toMatch(/MODSEQ/);
		expect(await count(folders.archive)).toBe(19);
		expect(await count(folders.error)).toBe(1);
		const names = await withImapClient(alice, async (client) => (await client.list()).map((f) => f.path));
		expect(names).toEqual(expect.arrayContaining([folders.archive, folders.error]));
	});

	it('stops taking new batches when the poll budget is spent, and leaves the rest for the next poll', async () => {
		const folders = await freshFolders('budget');
		await multiAppend(alice, folders.inbox, await mails(12));
		const options = {
			folders,
			createMissingFolders: false,
			maxMessages: 100,
			batchSize: 5,
			decide: async (batch: Array<{ uid: number; subject?: string }>) =>
				batch.map((m) => ({ uid: m.uid, action: 'commit' as const, result: m.subject! })),
		};

		// a budget already spent: the first batch still runs (a poll always makes progress), no second one
		const spent = await consumeImapFolder<string>(alice, { ...options, deadline: Date.now() - 1 });
		expect(spent.committed).toHaveLength(5);
		expect(spent.more).toBe(true);
		expect(await count(folders.inbox)).toBe(7);

		const rest = await consumeImapFolder<string>(alice, { ...options, deadline: Date.now() + 60_000 });
		expect(rest.committed).toHaveLength(7);
		expect(rest.more).toBe(false);
	});

	it('hands on the mails of batches already moved when a later batch fails, instead of throwing them away', async () => {
		const folders = await freshFolders('laterfail');
		await multiAppend(alice, folders.inbox, await mails(8));
		let batches = 0;
		const report = await consumeImapFolder<string>(alice, {
			folders,
			createMissingFolders: false,
			maxMessages: 100,
			batchSize: 4,
			deadline: Date.now() + 60_000,
			decide: async (batch) => {
				if (++batches === 2) throw new Error('a bug in the second batch');
				return batch.map((m) => ({ uid: m.uid, action: 'commit' as const, result: m.subject! }));
			},
		});
		expect(report.committed).toEqual(['m0', 'm1', 'm2', 'm3']);
		expect(report.interruption?.message).toBe('a bug in the second batch');
		expect(await count(folders.inbox)).toBe(4);
	});

	it('throws when nothing was moved yet, so that the poll fails visibly', async () => {
		const folders = await freshFolders('firstfail');
		await multiAppend(alice, folders.inbox, await mails(2));
		await expect(
			consumeImapFolder<string>(alice, {
				folders,
				createMissingFolders: false,
				maxMessages: 100,
				deadline: Date.now() + 60_000,
				decide: async () => {
					throw new Error('broken at once');
				},
			}),
		).rejects.toThrow('broken at once');
		expect(await count(folders.inbox)).toBe(2);
	});
});
