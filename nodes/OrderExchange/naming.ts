import type { BusinessDocument } from '../shared/documents/orders';

/**
 * How a sent document is named, in the file system and in the mailbox, so that a person at the head office
 * recognises it at a glance: `homeoffice-1_ORDER_AU-4711.xml`, subject `[Order Exchange] homeoffice-1 ORDER AU-4711`.
 * The openTRANS root element (ORDER, QUOTATION) names the type, as that is what the file holds.
 */

export const DEFAULT_SUBJECT_PREFIX = '[Order Exchange]';

export function openTransKind(type: BusinessDocument['type']): string {
	return type === 'quote' ? 'QUOTATION' : 'ORDER';
}

/** Letters, digits, dot, dash and underscore survive every file system and FTP server; the rest becomes "-". */
function fileNamePart(text: string): string {
	const part = text
		.normalize('NFKD')
		.replace(/[\u0300-\u036f]/g, '')
		.replace(/[^A-Za-z0-9._-]+/g, '-')
		.replace(/^[.-]+|[.-]+$/g, '');
	return part || 'x';
}

export function documentFileName(doc: Pick<BusinessDocument, 'site' | 'type' | 'number'>): string {
	return `${fileNamePart(doc.site)}_${openTransKind(doc.type)}_${fileNamePart(doc.number)}.xml`;
}

/** Names unique within one mail: the same document twice in one run gets `_2`. */
export function uniqueNames(names: string[]): string[] {
	const seen = new Map<string, number>();
	return names.map((name) => {
		const n = (seen.get(name) ?? 0) + 1;
		seen.set(name, n);
		if (n === 1) return name;
		const ext = name.endsWith('.xml') ? '.xml' : '';
		return `${name.slice(0, name.length - ext.length)}_${n}${ext}`;
	});
}

export function documentSubject(prefix: string, doc: Pick<BusinessDocument, 'site' | 'type' | 'number'>): string {
	return [prefix.trim(), doc.site.trim(), openTransKind(doc.type), doc.number.trim()].filter(Boolean).join(' ');
}

/** One mail for a whole run: the sites, the count, and as many documents as fit a readable subject. */
export function runSubject(prefix: string, docs: Array<Pick<BusinessDocument, 'site' | 'type' | 'number'>>): string {
	if (docs.length === 1) return documentSubject(prefix, docs[0]);
	const sites = [...new Set(docs.map((d) => d.site.trim()))].join(', ');
	const head = [prefix.trim(), sites, `${docs.length} documents:`].filter(Boolean).join(' ');
	let subject = head;
	for (const [i, d] of docs.entries()) {
		const next = `${i === 0 ? ' ' : ', '}${openTransKind(d.type)} ${d.number.trim()}`;
		if (subject.length + next.length > 150) return `${subject}, …`;
		subject += next;
	}
	return subject;
}

export function mailText(docs: BusinessDocument[], fileNames: string[]): string {
	const lines = docs.map((d, i) => {
		const customer = d.customer.name ? `, ${d.customer.name}` : '';
		return `- ${openTransKind(d.type)} ${d.number} of ${d.date}${customer}: ${fileNames[i]}`;
	});
	return [
		`Order Exchange: ${docs.length === 1 ? 'one document' : `${docs.length} documents`} from site ${[...new Set(docs.map((d) => d.site))].join(', ')}, as openTRANS 2.1 XML attached.`,
		'',
		...lines,
		'',
		'Import them with the Order Exchange node (Receive); a document sent twice is recognised and not imported twice.',
	].join('\n');
}
