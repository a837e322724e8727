/**
 * One poll per mailbox across processes: the lease on the IMAP server (imapLease.ts) against the real Dovecot.
 * Two pollers that share nothing but the server: two connections, and two copies of the consumer module
 * (jest.isolateModules), so that the in-process guard of one does not see the other's poll — as with two
 * n8n mains, or a poll the durable scheduler abandoned while it keeps running.
 */
import MailComposer from 'nodemailer/lib/mail-composer';

import { withImapClient } from '../../nodes/shared/transports/imap';
import type * as ConsumerModule from '../../nodes/shared/transports/imapConsumer';
import { ImapLease, leaseFolderName } from '../../nodes/shared/transports/imapLease';
import { multiAppend } from '../helpers/imapAppend';
import { imapCredentialsFor } from '../helpers/servers';

const carol = imapCredentialsFor('carol', { security: 'tls', allowSelfSigned: true });

/** A copy of the consumer module with its own process-local state, as another n8n process has. */
function anotherProcessConsumer(): typeof ConsumerModule {
	let copy: typeof ConsumerModule | undefined;
	jest.isolateModules(() => {
		copy = jest.requireActual<typeof ConsumerModule>('../../nodes/shared/transports/imapConsumer');
	});
	return copy!;
}

async function freshFolders(name: string) {
	const base = `INBOX/${name}-${Math.random().toString(36).slice(2, 8)}`;
	const folders = { inbox: `${base}/Eingang`, archive: `${base}/Archiv`, error: `${base}/Fehler` };
	await withImapClient(carol, async (client) => {
		for (const path of [base, ...Object.values(folders)]) await client.mailboxCreate(path.split('/'));
	});
	return folders;
}

async function mails(n: number): Promise<Buffer[]> {
	return await Promise.all(
		Array.from({ length: n }, (_, i) => new MailComposer({ from: 'a@example.com', subject: `m${i}`, text: `m${i}` }).compile().build()),
	);
}

/** The lease folders of an inbox (the lease itself, and any private or set-aside folder of the protocol). */
async function lockFolders(inbox: string): Promise<string[]> {
	const name = leaseFolderName(inbox);
	return await withImapClient(carol, async (client) => (await client.list()).map((f) => f.path).filter((p) => p.startsWith(name)));
}

async function count(folder: string): Promise<number> {
	return await withImapClient(carol, async (client) => {
		const status = await client.status(folder, { messages: true });
		return status ? (status.messages ?? 0) : 0;
	});
}

describe('ImapLease', () => {
	it('of two processes taking the lease of one inbox at the same moment, exactly one gets it, and the other once it is given back', async () => {
		const inbox = `INBOX/lease-${Math.random().toString(36).slice(2, 8)}`;
		for (let round = 0; round < 5; round++) {
			const a = new ImapLease(carol, inbox);
			const b = new ImapLease(carol, inbox);
			try {
				const [claimA, claimB] = await Promise.all([a.acquire(), b.acquire()]);
				expect([claimA.acquired, claimB.acquired].filter(Boolean)).toHaveLength(1);
				const [winner, loser, lost] = claimA.acquired ? [a, b, claimB] : [b, a, claimA];
				if (lost.acquired) throw new Error('unreachable');
				expect(lost.holder).toBe(winner.holder);
				expect(lost.expires.getTime()).toBeGreaterThan(Date.now());
				expect(await winner.stillHeld()).toBe(true);
				await winner.release();
				expect((await loser.acquire()).acquired).toBe(true);
			} finally {
				await a.release();
				await b.release();
			}
		}
		expect(await lockFolders(inbox)).toEqual([]);
	});

	it('expires when its holder stops without giving it back: the next process takes it over, and the old holder notices and leaves it alone', async () => {
		const inbox = `INBOX/lease-${Math.random().toString(36).slice(2, 8)}`;
		const dead = new ImapLease(carol, inbox, { ttlMs: 60_000 });
		expect((await dead.acquire()).acquired).toBe(true);
		const early = new ImapLease(carol, inbox);
		const busy = await early.acquire();
		expect(busy).toMatchObject({ acquired: false, holder: dead.holder });
		await early.release();

		// the same server state seen 61 s later (a clock of its own instead of a sleep): the lease has expired
		const later = new ImapLease(carol, inbox, { now: () => Date.now() + 61_000 });
		try {
			expect((await later.acquire()).acquired).toBe(true);
			expect(await dead.stillHeld()).toBe(false);
			await dead.release();
			// the old holder's release did not delete the new lease
			expect(await later.stillHeld()).toBe(true);
			expect(await lockFolders(inbox)).toHaveLength(1);
		} finally {
			await dead.release();
			await later.release();
		}
		expect(await lockFolders(inbox)).toEqual([]);
	});
});

describe('consumeImapFolder across processes', () => {
	const options = (folders: { inbox: string; archive: string; error: string }) => ({
		folders,
		createMissingFolders: false,
		maxMessages: 100,
		batchSize: 5,
		deadline: Date.now() + 120_000,
	});

	it('lets one of two concurrent polls of one inbox work; the other does nothing and names the holder', async () => {
		const folders = await freshFolders('twoproc');
		await multiAppend(carol, folders.inbox, await mails(12));
		const first = anotherProcessConsumer();
		const second = anotherProcessConsumer();
		let secondReport: ConsumerModule.ConsumeReport<string> | undefined;
		const report = await first.consumeImapFolder<string>(carol, {
			...options(folders),
			decide: async (batch) => {
				// while the first poll holds the inbox, the second process polls it
				secondReport ??= await second.consumeImapFolder<string>(carol, {
					...options(folders),
					decide: async (b) => b.map((m) => ({ uid: m.uid, action: 'commit' as const, result: `second ${m.subject}` })),
				});
				return batch.map((m) => ({ uid: m.uid, action: 'commit' as const, result: m.subject! }));
			},
		});
		expect(secondReport).toMatchObject({ busy: true, committed: [] });
		expect(secondReport?.busyHolder?.holder).toMatch(/ pid \d+ /);
		expect(report.committed.sort()).toEqual(Array.from({ length: 12 }, (_, i) => `m${i}`).sort());
		expect(await count(folders.archive)).toBe(12);
		expect(await lockFolders(folders.inbox)).toEqual([]);

		// the lease was given back: the second process polls now (and finds nothing left)
		const after = await second.consumeImapFolder<string>(carol, { ...options(folders), decide: async () => [] });
		expect(after.busy).toBeUndefined();
		expect(after.committed).toEqual([]);
	});

	it('gives the lease back when the poll fails', async () => {
		const folders = await freshFolders('failing');
		await multiAppend(carol, folders.inbox, await mails(2));
		const consumer = anotherProcessConsumer();
		await expect(
			consumer.consumeImapFolder<string>(carol, {
				...options(folders),
				decide: async () => {
					throw new Error('broken at once');
				},
			}),
		).rejects.toThrow('broken at once');
		expect(await lockFolders(folders.inbox)).toEqual([]);
		expect(await count(folders.inbox)).toBe(2);
	});

	it('stops a poll that outlived its lease before its next batch, once another process took the inbox over', async () => {
		const folders = await freshFolders('outlived');
		await multiAppend(carol, folders.inbox, await mails(15));
		const consumer = anotherProcessConsumer();
		let takeover: ImapLease | undefined;
		try {
			const report = await consumer.consumeImapFolder<string>(carol, {
				...options(folders),
				decide: async (batch) => {
					// the first batch takes so long that the lease expires: another process sees it expired and takes it
					if (!takeover) {
						takeover = new ImapLease(carol, folders.inbox, { now: () => Date.now() + 11 * 60_000 });
						expect((await takeover.acquire()).acquired).toBe(true);
					}
					return batch.map((m) => ({ uid: m.uid, action: 'commit' as const, result: m.subject! }));
				},
			});
			expect(report.leaseLost).toBe(true);
			expect(report.more).toBe(true);
			expect(report.committed).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
			expect(await count(folders.inbox)).toBe(10);
			// the new holder's lease is untouched by the old poll's ending
			expect(await takeover!.stillHeld()).toBe(true);
		} finally {
			await takeover?.release();
		}
		expect(await lockFolders(folders.inbox)).toEqual([]);
	});
});
