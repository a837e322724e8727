/**
 * How long does each document parser take, and how much memory does it need, for 1, 10 and 50 MB inputs?
 *
 * Generates a realistic file of each format and size (camt.053, MT940, DATEV Buchungsstapel, bank CSV,
 * delivery-note CSV, EDIFACT DESADV, openTRANS DISPATCHNOTIFICATION), built from the shapes of the test
 * fixtures, with every statement adding up so that the balance checks pass. Each file is written to a temporary
 * folder; then each is parsed in a child process of its own, so that the peak memory belongs to that one parse:
 * the child reads the file, collects garbage, notes its resident memory, parses, and reports the time and the
 * growth of its peak resident memory (maxRSS) over what it held before parsing, as a multiple of the input.
 *
 * Not a test. Run from the project root (the sources use extensionless imports, which Node's own type
 * stripping cannot resolve, so compile first; into .cache/, so that big.js, saxes and ibantools resolve from the
 * project's node_modules):
 *
 *   source scripts/node24.sh
 *   npx tsc --outDir .cache/bench-parsers --rootDir . --module commonjs --target es2023 --strict \
 *     --esModuleInterop --skipLibCheck --types node bench/parsers.ts
 *   node --expose-gc .cache/bench-parsers/bench/parsers.js [sizes in MB, default 1,10,50] [formats, default all]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { parseDeliveryNoteCsv } from '../nodes/shared/documents/deliveryNotes/csv';
import { parseDesadv } from '../nodes/shared/documents/deliveryNotes/desadv';
import { parseDispatchNotification } from '../nodes/shared/documents/deliveryNotes/openTrans';
import { parseCamt053, parseDatevBuchungsstapel, parseMt940, parsePaymentCsv } from '../nodes/shared/documents/payments';

const fixtureText = (relative: string, encoding: BufferEncoding = 'utf8') =>
	readFileSync(join(process.cwd(), 'test', 'fixtures', relative)).toString(encoding);

type Format = 'camt053' | 'mt940' | 'datev' | 'bankCsv' | 'deliveryNoteCsv' | 'desadv' | 'openTrans';

/** Repeats `unit(i)` until the text reaches `bytes`; returns the parts and how many units there are. */
function fill(bytes: number, fixed: number, unit: (i: number) => string): { body: string; count: number } {
	const parts: string[] = [];
	let size = fixed;
	let i = 0;
	while (size < bytes) {
		const part = unit(i++);
		parts.push(part);
		size += Buffer.byteLength(part);
	}
	return { body: parts.join(''), count: i };
}

function camt053(bytes: number): Buffer {
	const entry = (i: number) => `<Ntry><Amt Ccy="EUR">1.25</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
<BookgDt><Dt>2025-03-14</Dt></BookgDt><ValDt><Dt>2025-03-14</Dt></ValDt><AcctSvcrRef>2025031400${i}</AcctSvcrRef>
<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
<NtryDtls><TxDtls><Refs><EndToEndId>E2E-${i}</EndToEndId></Refs><RltdPties><Dbtr><Pty><Nm>Schreinerei Holzwurm GmbH</Nm></Pty></Dbtr>
<DbtrAcct><Id><IBAN>DE02120300000000202051</IBAN></Id></DbtrAcct></RltdPties>
<RmtInf><Ustrd>Rechnung RE-2025-${i} Kd-Nr. 10442</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>\n`;
	const { body, count } = fill(bytes, 1200, entry);
	const closing = (count * 1.25).toFixed(2);
	const balance = (code: string, amount: string) =>
		`<Bal><Tp><CdOrPrtry><Cd>${code}</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">${amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2025-03-14</Dt></Dt></Bal>`;
	return Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><GrpHdr><MsgId>BENCH</MsgId><CreDtTm>2025-03-14T18:00:00</CreDtTm></GrpHdr>
<Stmt><Id>BENCH-1</Id><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>
${balance('OPBD', '0.00')}${balance('CLBD', closing)}
${body}</Stmt></BkToCstmrStmt></Document>\n`);
}

function mt940(bytes: number): Buffer {
	// statements of 100 entries of 12,50 each, each adding up
	const line = (i: number) =>
		`:61:2503140314CR12,50NTRFNONREF//20250314${i}\r\n:86:166?00GUTSCHRIFT?100399?20EREF+RE-2025-${i}?21SVWZ+Rechnung RE-2025-${i}\r\n?30COBADEFFXXX?31DE02120300000000202051?32Schreinerei Holzwurm GmbH\r\n`;
	const statement = (s: number) => {
		let text = `:20:BENCH${s}\r\n:25:37040044/0532013000\r\n:28C:${s}/1\r\n:60F:C250313EUR0,00\r\n`;
		for (let i = 0; i < 100; i++) text += line(s * 100 + i);
		return `${text}:62F:C250314EUR1250,00\r\n-\r\n`;
	};
	return Buffer.from(fill(bytes, 0, statement).body, 'latin1');
}

function datev(bytes: number): Buffer {
	// the fixture's header, column names and invoice booking (parsed with its Konto 10000 taken as the bank account)
	const [header, names, , booking] = fixtureText('datev/EXTF_Buchungsstapel.csv', 'latin1').split('\r\n');
	const { body } = fill(bytes, header.length + names.length, () => `${booking}\r\n`);
	return Buffer.from(`${header}\r\n${names}\r\n${body}`, 'latin1');
}

function bankCsv(bytes: number): Buffer {
	const head = '"Buchungstag";"Valutadatum";"Auftraggeber/Empfänger";"IBAN";"Verwendungszweck";"Betrag";"Währung"\r\n';
	const row = (i: number) =>
		`"14.03.25";"14.03.25";"Schreinerei Holzwurm GmbH";"DE02120300000000202051";"Rechnung RE-2025-${i} Kd-Nr. 10442";"1.250,${String(i % 100).padStart(2, '0')}";"EUR"\r\n`;
	return Buffer.from(head + fill(bytes, head.length, row).body, 'latin1');
}

function deliveryNoteCsv(bytes: number): Buffer {
	const head = 'Lieferschein-Nr.;Lieferdatum;Bestellnummer;Artikelnummer;Bezeichnung;Menge;Einheit\r\n';
	const row = (i: number) => `LS-${Math.floor(i / 20)};14.03.2025;B-${Math.floor(i / 20)};ART-${i % 997};"Schraube M6x40; verzinkt";1.250,5;Stk\r\n`;
	return Buffer.from(head + fill(bytes, head.length, row).body, 'utf8');
}

function desadv(bytes: number): Buffer {
	const message = (m: number) => {
		let text = `UNH+${m}+DESADV:D:96A:UN'BGM+351+LS${m}+9'DTM+137:20250314:102'RFF+ON:B${m}'NAD+SU+4012345000009::9'NAD+BY+4098765000001::9'CPS+1'`;
		for (let l = 1; l <= 20; l++) text += `LIN+${l}++40123450000${String(l).padStart(2, '0')}:EN'PIA+1+ART-${l}:SA'IMD+F++:::Schraube M6x40'QTY+12:${l}:PCE'`;
		return `${text}UNT+${8 + 20 * 4}+${m}'\n`;
	};
	const { body, count } = fill(bytes, 100, message);
	return Buffer.from(`UNA:+.? 'UNB+UNOC:3+4012345000009:14+4098765000001:14+250314:1200+BENCH'\n${body}UNZ+${count}+BENCH'\n`, 'latin1');
}

function openTrans(bytes: number): Buffer {
	const text = fixtureText('opentrans/dispatchnotification-itscope.xml');
	const start = text.indexOf('<DISPATCHNOTIFICATION_ITEM>');
	const end = text.lastIndexOf('</DISPATCHNOTIFICATION_ITEM>') + '</DISPATCHNOTIFICATION_ITEM>'.length;
	const item = text.slice(start, text.indexOf('</DISPATCHNOTIFICATION_ITEM>') + '</DISPATCHNOTIFICATION_ITEM>'.length);
	const { body } = fill(bytes, text.length, (i) => `${item.replace('<LINE_ITEM_ID>1</LINE_ITEM_ID>', `<LINE_ITEM_ID>${i + 1}</LINE_ITEM_ID>`)}\n\t\t`);
	return Buffer.from(text.slice(0, start) + body + text.slice(end));
}

const GENERATE: Record<Format, (bytes: number) => Buffer> = { camt053, mt940, datev, bankCsv, deliveryNoteCsv, desadv, openTrans };

/** Parses and returns how many items (payments, delivery-note lines) came out. */
function parse(format: Format, bytes: Buffer): number {
	switch (format) {
		case 'camt053':
			return parseCamt053(bytes, 'bench.xml').reduce((n, s) => n + s.payments.length, 0);
		case 'mt940':
			return parseMt940(bytes, 'bench.sta').reduce((n, s) => n + s.payments.length, 0);
		case 'datev':
			return parseDatevBuchungsstapel(bytes, 'bench.csv', { bankAccounts: ['10000'] }).payments.length;
		case 'bankCsv':
			return parsePaymentCsv(bytes, { encoding: 'windows-1252', columns: { amount: 'Betrag', bookingDate: 'Buchungstag', valueDate: 'Valutadatum', payerName: 'Auftraggeber/Empfänger', payerIban: 'IBAN', remittanceText: 'Verwendungszweck', currency: 'Währung' } }, 'bench.csv').payments.length;
		case 'deliveryNoteCsv':
			return parseDeliveryNoteCsv(bytes, { delimiter: ';', decimalSeparator: ',', encoding: 'utf-8', headerRow: true, columns: { deliveryNoteNumber: 'Lieferschein-Nr.', date: 'Lieferdatum', orderNumber: 'Bestellnummer', articleNumber: 'Artikelnummer', description: 'Bezeichnung', quantity: 'Menge', unit: 'Einheit' } }, 'bench.csv').reduce((n, d) => n + d.lines.length, 0);
		case 'desadv':
			return parseDesadv(bytes, 'bench.edi').reduce((n, d) => n + d.lines.length, 0);
		case 'openTrans':
			return parseDispatchNotification(bytes, 'bench.xml').lines.length;
	}
}

function child(format: Format, path: string): void {
	const bytes = readFileSync(path);
	const gc = (globalThis as { gc?: () => void }).gc;
	gc?.();
	const before = process.memoryUsage().rss;
	const started = performance.now();
	const cpuBefore = process.cpuUsage();
	let items = 0;
	let error = '';
	try {
		items = parse(format, bytes);
	} catch (e) {
		error = (e as Error).message.slice(0, 160);
	}
	const ms = performance.now() - started;
	const cpu = process.cpuUsage(cpuBefore);
	const cpuMs = (cpu.user + cpu.system) / 1000;
	const peak = process.resourceUsage().maxRSS * 1024;
	process.stdout.write(JSON.stringify({ ms, cpuMs, items, error, before, peak, input: bytes.length }));
}

function main(): void {
	const [, , first, second, third] = process.argv;
	if (first === 'child') return child(second as Format, third);
	const sizes = (first ?? '1,10,50').split(',').map(Number);
	const formats = (second ? second.split(',') : Object.keys(GENERATE)) as Format[];
	const dir = join(tmpdir(), `bench-parsers-${process.pid}`);
	mkdirSync(dir, { recursive: true });
	console.log('| format | input MB | items | wall s | CPU s | MB/s (CPU) | peak RSS growth MB | × input |');
	console.log('|---|---|---|---|---|---|---|---|');
	try {
		for (const format of formats) {
			for (const mb of sizes) {
				const path = join(dir, `${format}-${mb}`);
				writeFileSync(path, GENERATE[format](mb * 1024 * 1024));
				const out = execFileSync(process.execPath, ['--expose-gc', __filename, 'child', format, path], { maxBuffer: 1 << 20 }).toString();
				rmSync(path);
				const r = JSON.parse(out) as { ms: number; cpuMs: number; items: number; error: string; before: number; peak: number; input: number };
				const growth = Math.max(0, r.peak - r.before);
				const row = [format, (r.input / 1048576).toFixed(1), r.error ? `error: ${r.error}` : r.items, (r.ms / 1000).toFixed(2), (r.cpuMs / 1000).toFixed(2), (r.input / 1048576 / (r.cpuMs / 1000)).toFixed(1), (growth / 1048576).toFixed(0), (growth / r.input).toFixed(1)];
				console.log(`| ${row.join(' | ')} |`);
			}
		}
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

main();
