/**
 * sendWithRetries against a scripted transport: which recipients a retry goes to, when it stops, and what it
 * reports. The real-server behaviour (Postfix 450/550) is in test/integration/invoiceBulkMailer.test.ts.
 */
import type { SendMailOptions, Transporter } from 'nodemailer';

import { rateOf, sendWithRetries, smtpFailureOf } from '../../../nodes/shared/transports/smtp';

const endpoint = { protocol: 'SMTP' as const, host: 'smtp.example.com', port: 587 };

type Reply = { accept: string[]; defer?: string[]; reject?: string[] } | { throw: object };

/** A transport that answers each sendMail with the next scripted reply and records the envelopes. */
function scripted(replies: Reply[]) {
	const calls: Array<{ to: string[]; messageId?: string }> = [];
	const transport = {
		async sendMail(message: SendMailOptions & { envelope: { to: string[] } }) {
			calls.push({ to: [...message.envelope.to], messageId: message.messageId as string });
			const reply = replies.shift();
			if (!reply) throw new Error('no reply scripted');
			if ('throw' in reply) throw reply.throw;
			const rejectedErrors = [
				...(reply.defer ?? []).map((recipient) => ({ recipient, responseCode: 450, response: `450 4.2.1 <${recipient}>: busy`, command: 'RCPT TO' })),
				...(reply.reject ?? []).map((recipient) => ({ recipient, responseCode: 550, response: `550 5.1.1 <${recipient}>: unknown`, command: 'RCPT TO' })),
			];
			if (!reply.accept.length) {
				throw Object.assign(new Error('all recipients were rejected'), { code: 'EENVELOPE', ...rejectedErrors[0], rejectedErrors });
			}
			return { accepted: reply.accept, rejected: [...(reply.defer ?? []), ...(reply.reject ?? [])], rejectedErrors, response: '250 2.0.0 Ok: queued' };
		},
	};
	return { transport: transport as unknown as Transporter, calls };
}

const noWait = { wait: async () => undefined };

describe('sendWithRetries', () => {
	it('retries only the deferred recipient, with the same Message-ID, and reports the mail delivered', async () => {
		const { transport, calls } = scripted([{ accept: ['a@kunde.de'], defer: ['b@kunde.de'] }, { accept: ['b@kunde.de'] }]);
		const outcome = await sendWithRetries(transport, { subject: 'x' }, { from: 'rechnung@shop.de', to: ['a@kunde.de', 'b@kunde.de'] }, { retries: 3, delayMs: 10, ...noWait }, endpoint);
		expect(calls.map((c) => c.to)).toEqual([['a@kunde.de', 'b@kunde.de'], ['b@kunde.de']]);
		expect(new Set(calls.map((c) => c.messageId)).size).toBe(1);
		expect(outcome).toMatchObject({ delivered: true, accepted: ['a@kunde.de', 'b@kunde.de'], rejected: [], attempts: 2 });
	});

	it('gives up after the retries and reports the last 4xx reply as the failure', async () => {
		const { transport, calls } = scripted([{ accept: [], defer: ['a@kunde.de'] }, { accept: [], defer: ['a@kunde.de'] }, { accept: [], defer: ['a@kunde.de'] }]);
		const waits: number[] = [];
		const outcome = await sendWithRetries(transport, {}, { from: 'r@shop.de', to: ['a@kunde.de'] }, { retries: 2, delayMs: 1000, wait: async (ms) => void waits.push(ms) }, endpoint);
		expect(calls).toHaveLength(3);
		expect(waits).toEqual([1000, 2000]);
		expect(outcome).toMatchObject({ delivered: false, attempts: 3, failure: { code: 450, temporary: true, command: 'RCPT TO' } });
	});

	it('does not retry a 5xx refusal', async () => {
		const { transport, calls } = scripted([{ accept: [], reject: ['a@kunde.de'] }]);
		const outcome = await sendWithRetries(transport, {}, { from: 'r@shop.de', to: ['a@kunde.de'] }, { retries: 3, delayMs: 10, ...noWait }, endpoint);
		expect(calls).toHaveLength(1);
		expect(outcome).toMatchObject({ delivered: false, attempts: 1, failure: { code: 550, temporary: false } });
	});

	it('retries after a lost connection, sending to every open recipient again', async () => {
		const { transport, calls } = scripted([{ throw: Object.assign(new Error('Connection closed unexpectedly'), { code: 'ECONNECTION' }) }, { accept: ['a@kunde.de'] }]);
		const outcome = await sendWithRetries(transport, {}, { from: 'r@shop.de', to: ['a@kunde.de'] }, { retries: 1, delayMs: 10, ...noWait }, endpoint);
		expect(calls.map((c) => c.to)).toEqual([['a@kunde.de'], ['a@kunde.de']]);
		expect(outcome).toMatchObject({ delivered: true, attempts: 2 });
	});

	it('does not count an archive copy as delivery, and does not retry for the copy alone', async () => {
		const refused = scripted([{ accept: ['archiv@shop.de'], reject: ['a@kunde.de'] }]);
		const failed = await sendWithRetries(refused.transport, {}, { from: 'r@shop.de', to: ['a@kunde.de'], copies: ['archiv@shop.de'] }, { retries: 3, delayMs: 10, ...noWait }, endpoint);
		expect(failed).toMatchObject({ delivered: false, failure: { code: 550 } });

		const copyDeferred = scripted([{ accept: ['a@kunde.de'], defer: ['archiv@shop.de'] }]);
		const delivered = await sendWithRetries(copyDeferred.transport, {}, { from: 'r@shop.de', to: ['a@kunde.de'], copies: ['archiv@shop.de'] }, { retries: 3, delayMs: 10, ...noWait }, endpoint);
		expect(copyDeferred.calls).toHaveLength(1);
		expect(delivered).toMatchObject({ delivered: true, rejected: [{ recipient: 'archiv@shop.de', code: 450, temporary: true }] });
	});

	it('classifies replies by their code and connection faults as temporary', () => {
		expect(smtpFailureOf({ responseCode: 421, response: '421 4.3.2 Shutting down' }, endpoint)).toMatchObject({ code: 421, temporary: true });
		expect(smtpFailureOf({ responseCode: 552, response: '552 5.3.4 Message too big' }, endpoint)).toMatchObject({ code: 552, temporary: false });
		expect(smtpFailureOf(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' }), endpoint)).toMatchObject({ code: 'ETIMEDOUT', temporary: true });
	});
});

describe('rateOf', () => {
	it('turns messages per second into whole messages per window', () => {
		expect(rateOf(10)).toEqual({ rateLimit: 10, rateDelta: 1000 });
		expect(rateOf(0.5)).toEqual({ rateLimit: 1, rateDelta: 2000 });
		expect(rateOf(2.5)).toEqual({ rateLimit: 2, rateDelta: 800 });
	});
});
