/**
 * How long do the delivery-note and order parsers take, and how much memory do they need, for big files?
 *
 * Builds real-world-shaped inputs of 1, 10 and 50 MB (or the sizes given) from the project's fixtures:
 * - `desadv`: an EANCOM DESADV interchange, messages shaped like `desadv-eancom-two-messages.edi` with 50 lines each;
 * - `dispatch`: an openTRANS DISPATCHNOTIFICATION, the ITscope sample with its items repeated;
 * - `order`: an openTRANS ORDER, the ITscope sample order with its items repeated;
 * and, for time only, XML nested 20,000 / 40,000 / 100,000 levels deep (refused past the nesting limit).
 * Each parse runs in a fresh Node process, so that its peak RSS is its own. Prints, per format and size: the
 * time, the peak RSS above what the process held before the parse (Node itself plus the input bytes), and
 * that growth as a multiple of the input size.
 *
 * Not a test. Run from the project root (the sources use extensionless imports, which Node's own type
 * stripping cannot resolve, so compile first):
 *
 *   source scripts/node24.sh
 *   npx tsc --outDir /tmp/bench-document-parsers --rootDir . --module commonjs --target es2023 --strict \
 *     --esModuleInterop --skipLibCheck --types node bench/document-parsers.ts
 *   NODE_PATH=$PWD/node_modules node /tmp/bench-document-parsers/bench/document-parsers.js [sizes in MB, default 1,10,50] [formats]
 *
 * BENCH_DEEP_LEVELS (default 20000,40000,100000) sets the nesting depths of the `deep` inputs.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { parseDesadv } from '../nodes/shared/documents/deliveryNotes/desadv';
import { parseDispatchNotification } from '../nodes/shared/documents/deliveryNotes/openTrans';
import { readOpenTrans } from '../nodes/shared/documents/orders/openTransReader';
import { parseXml } from '../nodes/shared/documents/xml';

const FIXTURES = join(__dirname, '..', '..', 'test', 'fixtures');
const ROOT_FIXTURES = join(process.cwd(), 'test', 'fixtures');
const MB = 1024 * 1024;

function fixture(...path: string[]): string {
	for (const base of [ROOT_FIXTURES, FIXTURES]) {
		try {
			return readFileSync(join(base, ...path), 'utf8');
		} catch {
			// try the next base
		}
	}
	throw new Error(`fixture ${path.join('/')} not found; run from the project root`);
}

/** A DESADV interchange of about `bytes` bytes: EANCOM messages of 50 lines each, UNT and UNZ counts right. */
export function desadv(bytes: number): Buffer {
	const head = "UNA:+.? '\nUNB+UNOC:3+4012345000016:14+4298765000014:14+240305:1412+IC0000042'\n";
	const parts: string[] = [head];
	let size = head.length;
	let messages = 0;
	while (size < bytes) {
		messages++;
		const ref = `M${messages}`;
		const segments = [
			`UNH+${ref}+DESADV:D:96A:UN:EAN005`,
			`BGM+351+DA-${messages}+9`,
			'DTM+137:202403051410:203',
			'DTM+11:20240305:102',
			'DTM+17:20240307:102',
			`RFF+DQ:LS-${messages}`,
			'RFF+ON:B-4711',
			'NAD+SU+4012345000016::9++Müller ?+ Söhne GmbH:Werkzeuge+Industriestraße 12+Stuttgart++70565+DE',
			'NAD+BY+4298765000014::9++Beispiel Handels AG+Lagerweg 3+Köln++50667+DE',
			'NAD+DP+4298765000021::9++Beispiel Handels AG:Zentrallager+Lagerweg 5+Köln++50667+DE',
			'CPS+1',
			'GIN+BJ+340123450000000017',
		];
		for (let line = 1; line <= 50; line++) {
			segments.push(
				`LIN+${line}++4006381333931:SRV`,
				`PIA+5+SCH-M6-${line}:SA`,
				"IMD+F++:::Schraube M6 verzinkt, Größe 20 mm ?'DIN 933?'",
				`QTY+12:${line * 10}:PCE`,
				`RFF+ON:B-4711:${line * 10}`,
			);
		}
		segments.push('CNT+2:50');
		segments.push(`UNT+${segments.length + 1}+${ref}`);
		const text = segments.map((s) => `${s}'\n`).join('');
		parts.push(text);
		size += Buffer.byteLength(text, 'latin1');
	}
	parts.push(`UNZ+${messages}+IC0000042'\n`);
	return Buffer.from(parts.join(''), 'latin1');
}

/** An openTRANS document of about `bytes` bytes: the fixture's items repeated, renumbered, counts right. */
export function repeatedItems(file: string, item: string, bytes: number): Buffer {
	const text = fixture('opentrans', file);
	const open = text.indexOf(`<${item}>`);
	const close = text.lastIndexOf(`</${item}>`) + item.length + 3;
	const items = text.slice(open, close);
	const parts: string[] = [text.slice(0, open)];
	let size = text.length;
	let copies = 0;
	while (size < bytes) {
		copies++;
		const copy = items.replace(/<LINE_ITEM_ID>(\d+)<\/LINE_ITEM_ID>/g, (_, n) => `<LINE_ITEM_ID>${copies}-${n}</LINE_ITEM_ID>`);
		parts.push(copy);
		size += copy.length;
	}
	const perCopy = (items.match(new RegExp(`<${item}>`, 'g')) ?? []).length;
	parts.push(text.slice(close).replace(/<TOTAL_ITEM_NUM>\d+</, `<TOTAL_ITEM_NUM>${perCopy * copies}<`));
	return Buffer.from(parts.join(''), 'utf8');
}

/** Nested elements that inherit the root's default namespace: the worst case for a resolver that walks up. */
function deep(levels: number): Buffer {
	return Buffer.from('<r xmlns="urn:x">' + '<a>'.repeat(levels) + '</a>'.repeat(levels) + '</r>');
}

const FORMATS: Record<string, { make: (bytes: number) => Buffer; parse: (bytes: Buffer) => unknown }> = {
	desadv: { make: desadv, parse: (b) => parseDesadv(b, 'bench.edi') },
	dispatch: {
		make: (n) => repeatedItems('dispatchnotification-itscope.xml', 'DISPATCHNOTIFICATION_ITEM', n),
		parse: (b) => parseDispatchNotification(b, 'bench.xml'),
	},
	order: {
		make: (n) => repeatedItems('order-itscope.xml', 'ORDER_ITEM', n),
		parse: (b) => readOpenTrans(b, 'bench.xml'),
	},
};

/** In the child process: parse the file once, print time and memory as JSON. */
function child(format: string, file: string): void {
	const bytes = readFileSync(file);
	// warm up (code compiled, heap spaces grown) on a small input, so that the figures are the big parse's own
	if (format !== 'deep') FORMATS[format].parse(FORMATS[format].make(64 * 1024));
	const before = process.memoryUsage().rss;
	const started = performance.now();
	let outcome = 'ok';
	try {
		if (format === 'deep') parseXml(bytes.toString('utf8'), 'deep.xml');
		else FORMATS[format].parse(bytes);
	} catch (e) {
		outcome = (e as { code?: string }).code ?? (e as Error).message;
	}
	const ms = performance.now() - started;
	const peak = process.resourceUsage().maxRSS * 1024;
	process.stdout.write(JSON.stringify({ ms, before, peak, outcome }));
}

function measure(format: string, input: Buffer, dir: string): { ms: number; before: number; peak: number; outcome: string } {
	const file = join(dir, `${format}.in`);
	writeFileSync(file, input);
	const out = execFileSync(process.execPath, ['--max-old-space-size=8192', __filename, '--child', format, file], {
		encoding: 'utf8',
		maxBuffer: 1 << 20,
	});
	return JSON.parse(out);
}

function main(): void {
	if (process.argv[2] === '--child') return child(process.argv[3], process.argv[4]);
	const sizes = (process.argv[2] ?? '1,10,50').split(',').map(Number);
	const formats = (process.argv[3] ?? 'desadv,dispatch,order,deep').split(',');
	const dir = mkdtempSync(join(tmpdir(), 'bench-document-parsers-'));
	try {
		console.log('format    input        time   peak RSS growth   × input   outcome');
		for (const format of formats) {
			const inputs =
				format === 'deep'
					? (process.env.BENCH_DEEP_LEVELS ?? '20000,40000,100000').split(',').map(Number).map((levels) => ({ label: `${levels / 1000}k lvls`, bytes: deep(levels) }))
					: sizes.map((mb) => ({ label: `${mb} MB`, bytes: FORMATS[format].make(mb * MB) }));
			for (const { label, bytes } of inputs) {
				const r = measure(format, bytes, dir);
				const growth = r.peak - r.before;
				console.log(
					`${format.padEnd(9)} ${label.padEnd(10)} ${(r.ms / 1000).toFixed(2).padStart(7)} s ${(growth / MB).toFixed(0).padStart(8)} MB ${(growth / bytes.length).toFixed(1).padStart(9)}   ${r.outcome}`,
				);
			}
		}
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

if (require.main === module) main();
