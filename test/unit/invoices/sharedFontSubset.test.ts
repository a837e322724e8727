import { renderInvoicePdf } from '../../../nodes/shared/documents/invoices';
import { keep, pdfPages, poppler } from './helpers';
import { sampleInvoice } from './sampleInvoices';

/** The embedded fonts as pdffonts lists them: name, embedded, subset, ToUnicode. */
function fonts(path: string): Array<{ name: string; emb: string; sub: string; uni: string }> {
	return poppler('pdffonts', path)
		.trim()
		.split('\n')
		.slice(2)
		.map((row) => {
			const cells = row.trim().split(/\s+/);
			return { name: cells[0], emb: cells[cells.length - 5], sub: cells[cells.length - 4], uni: cells[cells.length - 3] };
		});
}

describe('invoice PDFs sharing one font subset', () => {
	it('embeds the shared subset in every document, and each shows its own text', async () => {
		const first = keep('shared-subset-1.pdf', await renderInvoicePdf(sampleInvoice({ number: 'RE-2025-S1' })));
		const second = keep(
			'shared-subset-2.pdf',
			await renderInvoicePdf(sampleInvoice({ number: 'RE-2025-S2', buyer: { ...sampleInvoice().buyer, name: 'Łukasz Wiśniewski Sp. z o.o.' } })),
		);
		for (const path of [first, second]) {
			const embedded = fonts(path);
			expect(embedded.map((f) => f.name.replace(/^[A-Z]{6}\+/, '')).sort()).toEqual(['DejaVuSans', 'DejaVuSans-Bold']);
			for (const f of embedded) expect([f.emb, f.sub, f.uni]).toEqual(['yes', 'yes', 'yes']);
		}
		expect(pdfPages(first).join('')).toContain('RE-2025-S1');
		expect(pdfPages(second).join('')).toContain('Łukasz Wiśniewski');
	});

	it('gives a document with a character outside the shared subset a subset of its own, which prints it', async () => {
		const shared = await renderInvoicePdf(sampleInvoice({ number: 'RE-2025-S3' }));
		const own = await renderInvoicePdf(sampleInvoice({ number: 'RE-2025-S4', buyer: { ...sampleInvoice().buyer, name: 'Ωμέγα Εμπορική' } }));
		const path = keep('own-subset.pdf', own);
		expect(pdfPages(path).join('')).toContain('Ωμέγα Εμπορική');
		for (const f of fonts(path)) expect([f.emb, f.sub, f.uni]).toEqual(['yes', 'yes', 'yes']);
		// the shared subset holds a few hundred glyphs, a document's own only the ones it prints
		expect(own.length).toBeLessThan(shared.length);
	});
});
