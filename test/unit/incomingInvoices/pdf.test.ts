import { deflateSync } from 'node:zlib';
import { AFRelationship, PDFDocument } from 'pdf-lib';
import { readEInvoice } from '../../../nodes/shared/documents/incomingInvoices';
import { UBL_INVOICE, bytes } from './samples';

/** PDFs made here with pdf-lib: the cases a supplier's PDF can be in, and hostile ones. */

async function pdfWith(files: Array<{ name: string; content: Uint8Array; relationship?: AFRelationship }>): Promise<Uint8Array> {
	const doc = await PDFDocument.create();
	doc.addPage();
	for (const f of files) await doc.attach(f.content, f.name, { mimeType: 'text/xml', afRelationship: f.relationship ?? AFRelationship.Alternative });
	return doc.save();
}

describe('the invoice inside a PDF', () => {
	it('a PDF without attachments is a clear error, not a crash', async () => {
		await expect(readEInvoice(await pdfWith([]), { fileName: 'scan.pdf' })).rejects.toMatchObject({
			code: 'UNSUPPORTED_FORMAT',
			message: expect.stringMatching(/^scan\.pdf: the PDF carries no e-invoice: .* \(it has no embedded files\)/),
		});
	});

	it('a PDF with other attachments names them', async () => {
		const pdf = await pdfWith([{ name: 'lieferschein.csv', content: Buffer.from('a;b\n'), relationship: AFRelationship.Supplement }]);
		await expect(readEInvoice(pdf)).rejects.toThrow(/embedded files: lieferschein\.csv/);
	});

	it('finds a UBL XRechnung embedded as xrechnung.xml', async () => {
		const read = await readEInvoice(await pdfWith([{ name: 'xrechnung.xml', content: bytes(UBL_INVOICE) }]));
		expect(read).toMatchObject({ container: 'pdf', embeddedFileName: 'xrechnung.xml', invoice: { syntax: 'UBL', number: 'RE-20171118/506' } });
	});

	it('finds an invoice XML under another name by its relationship /Alternative', async () => {
		const read = await readEInvoice(await pdfWith([{ name: 'rechnung-4711.xml', content: bytes(UBL_INVOICE) }]));
		expect(read.embeddedFileName).toBe('rechnung-4711.xml');
	});

	it('a compressed bomb is refused at the size limit, before it is inflated whole', async () => {
		// 64 MB of blanks compress to about 64 kB; pdf-lib stores the attachment deflated
		const bomb = Buffer.alloc(64 * 1024 * 1024, 0x20);
		expect(deflateSync(bomb).length).toBeLessThan(200 * 1024);
		const pdf = await pdfWith([{ name: 'factur-x.xml', content: bomb }]);
		await expect(readEInvoice(pdf, { maxXmlBytes: 1024 * 1024 })).rejects.toMatchObject({ code: 'TOO_LARGE', message: expect.stringMatching(/factur-x\.xml is larger than 1048576 bytes/) });
	});

	it('a file that is no PDF but starts like one is a parse error naming the file', async () => {
		await expect(readEInvoice(Buffer.from('%PDF-1.7\n garbage'), { fileName: 'x.pdf' })).rejects.toMatchObject({ file: 'x.pdf' });
	});
});

describe('which embedded file is the invoice', () => {
	it('a PDF with only a ZUGFeRD 1.0 XML is read as ZUGFeRD 1.0', async () => {
		const { ZUGFERD_1 } = await import('./samples');
		const read = await readEInvoice(await pdfWith([{ name: 'ZUGFeRD-invoice.xml', content: bytes(ZUGFERD_1) }]));
		expect(read).toMatchObject({ embeddedFileName: 'ZUGFeRD-invoice.xml', invoice: { syntax: 'ZUGFeRD 1.0', profile: 'ZUGFeRD 1.0 EXTENDED' } });
	});

	it('a known invoice name wins over another XML beside it', async () => {
		const pdf = await pdfWith([
			{ name: 'other.xml', content: Buffer.from('<other/>') },
			{ name: 'factur-x.xml', content: bytes(UBL_INVOICE) },
		]);
		expect((await readEInvoice(pdf)).embeddedFileName).toBe('factur-x.xml');
	});
});
