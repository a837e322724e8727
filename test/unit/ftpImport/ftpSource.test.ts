/** The pure rules of the FTP source: which names, which directories, which files are remembered how long. */
import { FINGERPRINT_LIMIT, FingerprintStore, type Fingerprint } from '../../../nodes/shared/transports/fingerprints';
import { looksInProgress, nameMatches } from '../../../nodes/shared/transports/fileNames';
import { absoluteDirectory, directoriesToList, isoDatesBack } from '../../../nodes/shared/transports/ftpSource';

describe('nameMatches', () => {
	it('finds a part of the name with case ignored, as the seed\'s "Zahlungen" finds every payment file', () => {
		expect(nameMatches('2025-03-14_Zahlungen.sta', 'zahlungen')).toBe(true);
		expect(nameMatches('ZAHLUNGEN.xml', 'Zahlungen')).toBe(true);
		expect(nameMatches('Kontoauszug.xml', 'Zahlungen')).toBe(false);
		expect(nameMatches('anything', '  ')).toBe(true);
	});

	it('takes * and ? as a glob for the whole name, other characters literally', () => {
		expect(nameMatches('camt053_2025.xml', 'camt*.xml')).toBe(true);
		expect(nameMatches('camt053_2025.xml.bak', 'camt*.xml')).toBe(false);
		expect(nameMatches('MT940_1.sta', 'mt940_?.sta')).toBe(true);
		expect(nameMatches('MT940_12.sta', 'mt940_?.sta')).toBe(false);
		// a dot or a bracket is not a regular expression
		expect(nameMatches('aXb.sta', 'a.b*')).toBe(false);
		expect(nameMatches('a(1).sta', 'a(1)*')).toBe(true);
	});
});

describe('looksInProgress', () => {
	it('knows the names upload tools write under before they rename', () => {
		for (const name of ['z.xml.part', 'z.xml.filepart', 'z.tmp', 'z.XML.PART', '.z.xml', 'z.xml~', 'z.crdownload']) {
			expect([name, looksInProgress(name)]).toEqual([name, true]);
		}
		for (const name of ['z.xml', 'teilzahlung.sta', 'part.csv', 'z.temperature.csv']) expect([name, looksInProgress(name)]).toEqual([name, false]);
	});
});

describe('date subdirectories', () => {
	it('counts days back across month and year ends, oldest first', () => {
		expect(isoDatesBack('2025-03-01', 2)).toEqual(['2025-02-27', '2025-02-28', '2025-03-01']);
		expect(isoDatesBack('2024-03-01', 1)).toEqual(['2024-02-29', '2024-03-01']);
		expect(isoDatesBack('2025-01-01', 1)).toEqual(['2024-12-31', '2025-01-01']);
	});

	it('builds each layout once per directory: ten days share one year directory', () => {
		expect(directoriesToList('/in', 'none', '2025-01-02', 5)).toEqual(['/in']);
		expect(directoriesToList('/in', 'YYYY', '2025-01-02', 5)).toEqual(['/in/2024', '/in/2025']);
		expect(directoriesToList('/in', 'YYYY/MM', '2025-03-02', 3)).toEqual(['/in/2025/02', '/in/2025/03']);
		expect(directoriesToList('/in', 'YYYY/MM/DD', '2025-03-02', 1)).toEqual(['/in/2025/03/01', '/in/2025/03/02']);
		expect(directoriesToList('/', 'YYYY-MM-DD', '2025-03-02', 0)).toEqual(['/2025-03-02']);
	});

	it('resolves typed directories with or without slashes against the login directory', () => {
		expect(absoluteDirectory('BUCHHALTUNG/IMPORTE/', '/home/kunde')).toBe('/home/kunde/BUCHHALTUNG/IMPORTE');
		expect(absoluteDirectory('/abs/dir', '/home/kunde')).toBe('/abs/dir');
		expect(absoluteDirectory('', '/home/kunde')).toBe('/home/kunde');
		expect(absoluteDirectory('archiv', '/home/kunde/in')).toBe('/home/kunde/in/archiv');
	});
});

describe('FingerprintStore', () => {
	const day = 86_400;

	it('remembers a file by path, size and content, and saves itself into the static data object', () => {
		const data: Record<string, unknown> = {};
		let now = 1_700_000_000;
		const store = new FingerprintStore(data, () => now);
		store.remember({ path: '/in/z.xml', size: 10 }, 'a'.repeat(64), { value: '2023-11-14T00:00:00.000Z', exact: true }, 'kept');
		store.save();
		now += 60;
		const again = new FingerprintStore(data, () => now);
		expect(again.findContent('/in/z.xml', 10, 'a'.repeat(64))).toMatchObject({ r: 'kept', x: 1 });
		expect(again.findContent('/in/z.xml', 10, 'b'.repeat(64))).toBeUndefined();
		expect(again.candidates('/in/z.xml', 11)).toEqual([]);
	});

	it('trusts an exact time for the content only when the file was older than two minutes at the check', () => {
		const now = Date.parse('2025-03-14T12:00:00Z') / 1000;
		const store = new FingerprintStore({}, () => now);
		const fresh = store.remember({ path: '/f', size: 1 }, 'h1', { value: '2025-03-14T11:59:30.000Z', exact: true }, 'kept');
		const old = store.remember({ path: '/o', size: 1 }, 'h2', { value: '2025-03-14T11:50:00.000Z', exact: true }, 'kept');
		const listed = store.remember({ path: '/l', size: 1 }, 'h3', { value: 'Mar 14 11:50', exact: false }, 'kept');
		expect([fresh.x, old.x, listed.x]).toEqual([undefined, 1, undefined]);
	});

	it('forgets files not seen for 400 days, and beyond 5,000 entries the least recently seen, never one seen in this run', () => {
		let now = 2_000_000_000;
		const entries: Fingerprint[] = Array.from({ length: FINGERPRINT_LIMIT + 10 }, (_, i) => ({
			p: `/in/f${i}`,
			s: 1,
			m: 'x',
			h: `h${i}`,
			r: 'kept' as const,
			i: now - 10 * day,
			t: now - 10 * day + i,
		}));
		entries[0].t = now - 401 * day;
		const data: Record<string, unknown> = { importedFiles: entries };
		const store = new FingerprintStore(data, () => now);
		store.seen(store.findContent('/in/f1', 1, 'h1')!);
		store.save();
		const kept = (data.importedFiles as Fingerprint[]).map((e) => e.p);
		expect(kept).toHaveLength(FINGERPRINT_LIMIT);
		expect(kept).not.toContain('/in/f0');
		// f1 was the least recently seen of the rest, but it was seen in this run
		expect(kept).toContain('/in/f1');
		expect(kept).not.toContain('/in/f2');
		expect(kept).toContain(`/in/f${FINGERPRINT_LIMIT + 9}`);
		expect(store.overLimit).toBe(false);
		now += 1;
	});

	it('ignores static data that is not a fingerprint list, rather than failing the run', () => {
		const store = new FingerprintStore({ importedFiles: [{ p: 1 }, 'x', null] });
		expect(store.size).toBe(0);
	});
});
