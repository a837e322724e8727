import { readSupplierMail, type Supplier } from '../../../nodes/DeliveryNoteImapTrigger/supplierMail';
import type { MailPart, MailSummary } from '../../../nodes/shared/transports/imapSource';
import { fixture } from './helpers';

/**
 * A supplier mail with a good delivery note and a second attachment that looks like a delivery note but cannot
 * be read must go to the error folder whole: before, the second was "not a delivery note" and the mail was
 * archived as complete, so that note was lost.
 */
const supplier: Supplier = { name: 'Müller', senders: ['edi@mueller.example'], format: 'desadv' };

function mail(parts: Array<{ fileName: string; bytes: Buffer }>): { summary: MailSummary; parts: MailPart[]; downloaded: Map<string, Buffer> } {
	const mailParts: MailPart[] = parts.map((p, i) => ({
		part: String(i + 2),
		contentType: 'application/octet-stream',
		fileName: p.fileName,
		encodedSize: p.bytes.length,
		size: p.bytes.length,
	}));
	const summary: MailSummary = { uid: 7, from: [{ address: 'edi@mueller.example' }], sender: [], to: [], parts: mailParts };
	return { summary, parts: mailParts, downloaded: new Map(mailParts.map((p, i) => [p.part, parts[i].bytes])) };
}

describe('readSupplierMail with an attachment that looks like a delivery note but cannot be read', () => {
	const good = fixture('edifact', 'desadv-eancom-two-messages.edi');
	const text = good.toString('latin1');

	it('fails the mail when a second DESADV is cut short before its first message header', () => {
		const cut = Buffer.from(text.slice(0, text.indexOf('UNH')), 'latin1');
		const m = mail([{ fileName: 'LS-0815.edi', bytes: good }, { fileName: 'LS-0816.edi', bytes: cut }]);
		const outcome = readSupplierMail(m.summary, supplier, m.parts, m.downloaded);
		expect(outcome.kind).toBe('error');
		if (outcome.kind !== 'error') return;
		expect(outcome.problems).toEqual([
			{
				reason: 'PARSE_ERROR',
				message: expect.stringMatching(/^LS-0816\.edi: the file starts like an EDIFACT interchange, but holds no complete message header/),
				file: 'LS-0816.edi',
			},
		]);
		expect(outcome.attachments.map((a) => a.fileName)).toEqual(['LS-0815.edi', 'LS-0816.edi']);
	});

	it('reads a NUL-padded DESADV next to the good one instead of skipping it', () => {
		const padded = Buffer.concat([fixture('edifact', 'desadv-d96a.edi'), Buffer.alloc(1024)]);
		const m = mail([{ fileName: 'LS-0815.edi', bytes: good }, { fileName: 'LS-Y02197250.edi', bytes: padded }]);
		const outcome = readSupplierMail(m.summary, supplier, m.parts, m.downloaded);
		expect(outcome.kind).toBe('deliveryNotes');
		if (outcome.kind !== 'deliveryNotes') return;
		expect(outcome.notes.map((n) => n.note.deliveryNoteNumber)).toEqual(['LS-2024-0815', 'DA-2024-0816', 'Y02197250']);
	});
});
