import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DocumentError } from '../../../nodes/shared/documents/DocumentError';
import { checkEInvoice, readEInvoice } from '../../../nodes/shared/documents/incomingInvoices';
import { INCOMING, bytes } from './samples';

/**
 * Public ZUGFeRD / Factur-X sample PDFs of their maintainers (ZUGFeRD/mustangproject, library/src/test/resources):
 * each is read and compared with its embedded XML as poppler's pdfdetach extracts it and xmllint reads it (not
 * with the package's own PDF and XML readers); a PDF without an invoice is refused, saying so.
 */

const MUSTANG = join(INCOMING, 'mustang');

function detachedFacts(pdf: string): { file: string; number: string; grandTotal: string; lines: number } {
	const dir = mkdtempSync(join(tmpdir(), 'mustang-'));
	try {
		const saved = spawnSync('pdfdetach', ['-saveall', '-o', dir, pdf], { encoding: 'utf8' });
		if (saved.error) throw new Error(`pdfdetach is not installed: apt-get install -y poppler-utils (${saved.error.message})`);
		const [file] = readdirSync(dir);
		const xpath =
			'concat(//*[local-name()="ExchangedDocument" or local-name()="HeaderExchangedDocument"]/*[local-name()="ID"], "|", ' +
			'(//*[local-name()="GrandTotalAmount"])[1], "|", count(//*[local-name()="IncludedSupplyChainTradeLineItem"]))';
		const out = spawnSync('xmllint', ['--xpath', xpath, join(dir, file)], { encoding: 'utf8' }).stdout.trim().split('|');
		return { file, number: out[0], grandTotal: out[1], lines: Number(out[2]) };
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

describe('public ZUGFeRD / Factur-X sample PDFs (Mustang project)', () => {
	// ZUGFeRD 1.0 BASIC predates EN 16931: it is refused naming §14 UStG, and its lines carry no net price (BR-26)
	// and no VAT category (BR-CO-04), its VAT breakdown no category code (BR-47), which EN 16931 requires
	it.each([
		['EN16931_Einfach.pdf', 'EN 16931', []],
		['EN16931_1_Teilrechnung.pdf', 'EN 16931', []],
		['EXTENDED_Fremdwaehrung_wdis_fx-pdfa4.pdf', 'EXTENDED', []],
		['ZTESTZUGFERD_1_INVDSS_012015738820PDF-1.pdf', 'EXTENDED', []],
		['zugferd_invoice.pdf', 'ZUGFeRD 1.0 BASIC', ['§14 UStG', 'BR-26', 'BR-CO-04', 'BR-47']],
	])('%s reads to the number, total and lines of its embedded XML, refused only with the rules it breaks', async (name, profile, rules) => {
		const path = join(MUSTANG, name);
		const read = await readEInvoice(bytes(path), { fileName: name });
		const facts = detachedFacts(path);
		expect(read).toMatchObject({ container: 'pdf', embeddedFileName: facts.file });
		expect(read.invoice.number).toBe(facts.number);
		expect(Number(read.invoice.totals.grandTotal)).toBe(Number(facts.grandTotal));
		expect(read.invoice.lines).toHaveLength(facts.lines);
		expect(read.invoice.profile).toBe(profile);
		expect([...new Set(checkEInvoice(read.invoice, read.sources).filter((p) => p.severity === 'error').map((p) => p.rule))]).toEqual(rules);
	});

	it('refuses a PDF without an embedded invoice, saying that a PDF alone is no e-invoice', async () => {
		const name = 'MustangGnuaccountingBeispielRE-20201121_508blanko.pdf';
		const error = await readEInvoice(bytes(join(MUSTANG, name)), { fileName: name }).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(DocumentError);
		expect((error as DocumentError).code).toBe('UNSUPPORTED_FORMAT');
		expect((error as DocumentError).message).toMatch(/^MustangGnuaccountingBeispielRE-20201121_508blanko\.pdf: the PDF carries no e-invoice/);
	});
});
