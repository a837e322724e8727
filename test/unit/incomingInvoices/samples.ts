import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The real and hand-written e-invoices the reader is tested on; see test/fixtures/incoming-einvoices/README.md. */
export const FIXTURES = join(__dirname, '..', '..', 'fixtures');
export const INCOMING = join(FIXTURES, 'incoming-einvoices');

export const OFFICIAL_CII = [
	join(FIXTURES, 'en16931', 'examples', 'CII_example1.xml'),
	join(INCOMING, 'en16931', 'CII_example2.xml'),
	join(INCOMING, 'en16931', 'CII_example5.xml'),
	join(INCOMING, 'en16931', 'XRechnung-O.xml'),
];
export const MUSTANG_PDF = join(FIXTURES, 'facturx', 'reference-pdf', 'validV2PDF.pdf');
export const MUSTANG_XRECHNUNG_PDF = join(FIXTURES, 'facturx', 'reference-pdf', 'validXRechnung.pdf');
export const ZUGFERD_1 = join(INCOMING, 'mustang', 'ZUGFeRD-invoice-1.0.xml');
export const UBL_INVOICE = join(INCOMING, 'ubl', 'ubl-invoice-bei-spiel.xml');
export const UBL_CREDIT_NOTE = join(INCOMING, 'ubl', 'ubl-creditnote-xrechnung.xml');

export const bytes = (path: string): Buffer => readFileSync(path);
