import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

import { parseXml } from '../../../nodes/shared/documents/xml';

/**
 * The official checks of an e-invoice, run with the tools a German e-invoice receiver runs: the CII schema with
 * xmllint, the EN 16931 and XRechnung schematron (compiled to XSLT 2.0) with Saxon-HE, the PDF with qpdf and
 * poppler's pdfdetach. A missing tool fails the test with the Debian package to install; it never skips, because
 * a check that quietly did not run looks exactly like one that passed.
 */

export const FIXTURES = join(__dirname, '..', '..', 'fixtures');
export const CII_XSD = join(FIXTURES, 'en16931', 'schema', 'CII', 'uncefact', 'data', 'standard', 'CrossIndustryInvoice_100pD16B.xsd');
export const FACTURX_XSD = join(FIXTURES, 'facturx', 'schema', 'FACTUR-X_EN16931.xsd');
export const EN16931_XSLT = join(FIXTURES, 'en16931', 'EN16931-CII-validation.xslt');
export const XRECHNUNG_XSLT = join(FIXTURES, 'facturx', 'xslt', 'XRechnung-CII-validation.xslt');
/** the Factur-X (FNFE-MPE / FeRD) schematron of profile EN 16931; reads FACTUR-X_EN16931_codedb.xml beside it */
export const FACTURX_XSLT = join(FIXTURES, 'facturx', 'xslt', 'FACTUR-X_EN16931.xslt');
export const SAXON_JAR = process.env.SAXON_JAR ?? '/usr/share/java/Saxon-HE.jar';

/** Where generated files are left for a human to look at (git-ignored). */
export const TMP = join(__dirname, '..', '..', '.tmp', 'einvoice');

export function keep(name: string, bytes: Uint8Array | string): string {
	mkdirSync(TMP, { recursive: true });
	const path = join(TMP, name);
	writeFileSync(path, bytes);
	return path;
}

const TOOLS: Record<string, string> = {
	xmllint: 'libxml2-utils',
	java: 'default-jre-headless',
	qpdf: 'qpdf',
	pdfdetach: 'poppler-utils',
};

function run(tool: string, args: string[], input?: string): { status: number; stdout: string; stderr: string } {
	const result = spawnSync(tool, args, { encoding: 'utf8', input, maxBuffer: 256 * 1024 * 1024 });
	if (result.error && (result.error as NodeJS.ErrnoException).code === 'ENOENT') {
		throw new Error(`${tool} is not installed: apt-get install -y ${TOOLS[tool] ?? tool}`);
	}
	if (result.error) throw result.error;
	return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Fails (never skips) when Saxon-HE is missing, naming the Debian package. */
export function requireSaxon(): void {
	run('java', ['-version']);
	if (!existsSync(SAXON_JAR)) {
		throw new Error(`Saxon-HE is not installed (${SAXON_JAR} is missing): apt-get install -y libsaxonhe-java`);
	}
}

/** The schema errors xmllint reports, empty when the file is valid. */
export function xsdErrors(xmlPath: string, xsdPath: string): string[] {
	const result = run('xmllint', ['--noout', '--schema', xsdPath, xmlPath]);
	if (result.status === 0) return [];
	const errors = result.stderr.split('\n').filter((line) => line.trim() !== '' && !/ validates$/.test(line));
	return errors.length > 0 ? errors : [`xmllint exited with ${result.status}`];
}

export interface FailedAssertion {
	id: string;
	flag: string;
	location: string;
	text: string;
}

/**
 * Runs a schematron XSLT over several XML files at once (Saxon compiles the 700 kB stylesheet once per run, the
 * slow part) and returns the failed assertions of each file by its path.
 */
export function schematron(xmlPaths: string[], xsltPath: string): Map<string, FailedAssertion[]> {
	requireSaxon();
	const work = mkdtempSync(join(tmpdir(), 'schematron-'));
	try {
		const input = join(work, 'in');
		const output = join(work, 'out');
		mkdirSync(input);
		mkdirSync(output);
		const names = new Map<string, string>();
		xmlPaths.forEach((path, i) => {
			const name = `${String(i).padStart(3, '0')}-${basename(path)}`;
			names.set(name, path);
			writeFileSync(join(input, name), readFileSync(path));
		});
		const result = run('java', ['-cp', SAXON_JAR, 'net.sf.saxon.Transform', `-s:${input}`, `-xsl:${xsltPath}`, `-o:${output}`]);
		if (result.status !== 0) throw new Error(`Saxon failed on ${xsltPath}: ${result.stderr}`);
		const out = new Map<string, FailedAssertion[]>();
		for (const name of readdirSync(output)) {
			const original = names.get(name);
			if (original) out.set(original, failedAssertions(readFileSync(join(output, name), 'utf8')));
		}
		for (const path of xmlPaths) if (!out.has(path)) throw new Error(`Saxon wrote no report for ${path}`);
		return out;
	} finally {
		rmSync(work, { recursive: true, force: true });
	}
}

/** The `svrl:failed-assert` elements of an SVRL report. */
export function failedAssertions(svrl: string): FailedAssertion[] {
	const root = parseXml(svrl, 'svrl');
	const out: FailedAssertion[] = [];
	const visit = (element: typeof root): void => {
		if (element.name === 'failed-assert') {
			out.push({
				id: element.attributes.id ?? '',
				flag: element.attributes.flag ?? '',
				location: element.attributes.location ?? '',
				text: (element.first('text')?.text ?? '').replace(/\s+/g, ' '),
			});
		}
		for (const child of element.children) visit(child);
	};
	visit(root);
	return out;
}

export function fatal(assertions: FailedAssertion[]): FailedAssertion[] {
	return assertions.filter((a) => a.flag === 'fatal');
}

/**
 * The Factur-X schematron flags only its warnings; an assertion without a flag is an error there. So this
 * counts everything but warnings and information as an error.
 */
export function errors(assertions: FailedAssertion[]): FailedAssertion[] {
	return assertions.filter((a) => a.flag !== 'warning' && a.flag !== 'information');
}

/** Extracts every attachment of a PDF with `pdfdetach -saveall`; returns their contents by file name. */
export function detach(pdfPath: string): Map<string, Buffer> {
	const list = run('pdfdetach', ['-list', pdfPath]);
	if (list.status !== 0) throw new Error(`pdfdetach -list failed: ${list.stderr}`);
	const dir = mkdtempSync(join(tmpdir(), 'detach-'));
	try {
		const result = run('pdfdetach', ['-saveall', '-o', dir, pdfPath]);
		if (result.status !== 0) throw new Error(`pdfdetach -saveall failed: ${result.stderr}`);
		return new Map(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name))]));
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

/** `qpdf --check`: the exit status and what it printed. qpdf exits 0 when clean, 3 with warnings. */
export function qpdfCheck(pdfPath: string): { status: number; output: string } {
	const result = run('qpdf', ['--check', pdfPath]);
	return { status: result.status, output: result.stdout + result.stderr };
}

/** The PDF as `qpdf --json` (JSON v2) shows it, streams' data decoded, for looking at objects the way qpdf parses them. */
export function qpdfJson(pdfPath: string): QpdfJson {
	const result = run('qpdf', ['--json=2', '--json-stream-data=inline', '--decode-level=generalized', pdfPath]);
	if (result.status !== 0 && result.status !== 3) throw new Error(`qpdf --json failed: ${result.stderr}`);
	return JSON.parse(result.stdout) as QpdfJson;
}

export interface QpdfJson {
	qpdf: [unknown, Record<string, { value?: unknown; stream?: { dict: Record<string, unknown>; data?: string } }>];
}

/** Follows an indirect reference ("12 0 R") in qpdf's JSON to its value (or stream). */
export function qpdfObject(json: QpdfJson, ref: unknown): { value?: unknown; stream?: { dict: Record<string, unknown>; data?: string } } {
	if (typeof ref !== 'string' || !/^\d+ \d+ R$/.test(ref)) return { value: ref };
	const entry = json.qpdf[1][`obj:${ref}`];
	if (!entry) throw new Error(`no object ${ref}`);
	return entry;
}

export function qpdfValue(json: QpdfJson, ref: unknown): Record<string, unknown> {
	const entry = qpdfObject(json, ref);
	return (entry.value ?? entry.stream?.dict) as Record<string, unknown>;
}
