import type { IDataObject, IExecuteFunctions, INodeExecutionData, IPairedItemData } from 'n8n-workflow';

import { documentJson } from './documentInput';
import { judgeUnit, readUnit, type ArrivedFile, type ErrorReason, type JudgeOptions, type UnitOutcome, type Verdict } from './importRules';
import { openTransKind } from './naming';

/**
 * What every source of Receive (input items, a mailbox, an FTP directory, a folder) shares: the settings, the
 * three outputs, judging one source unit and building its items before the unit is committed.
 */

export interface ReceiveSettings {
	judge: JudgeOptions;
	maxPerRun: number;
	maxFileBytes: number;
	uploadWaitMs: number;
	fileNamePattern: string;
	createMissingFolders: boolean;
}

export interface UnitItems {
	orders: INodeExecutionData[];
	skipped: INodeExecutionData[];
	errors: INodeExecutionData[];
}

export class Outputs implements UnitItems {
	orders: INodeExecutionData[] = [];
	skipped: INodeExecutionData[] = [];
	errors: INodeExecutionData[] = [];

	add(items: UnitItems, sourcePatch: IDataObject = {}): void {
		const patch = Object.fromEntries(Object.entries(sourcePatch).filter(([, v]) => v !== undefined));
		for (const list of ['orders', 'skipped', 'errors'] as const) {
			for (const item of items[list]) {
				item.json.source = { ...(item.json.source as IDataObject), ...patch };
				this[list].push(item);
			}
		}
	}

	error(json: IDataObject): void {
		this.errors.push({ json, pairedItem: { item: 0 } });
	}

	get count(): number {
		return this.orders.length + this.skipped.length + this.errors.length;
	}
}

// ------------------------------------------------------------------------------------------------
// Items

function label(v: Verdict): string {
	return v.doc ? `${openTransKind(v.doc.type)} ${v.doc.number}` : (v.file?.fileName ?? 'document');
}

export function mimeTypeOf(fileName: string): string {
	return /\.xml$/i.test(fileName) ? 'application/xml' : 'application/octet-stream';
}

/**
 * The items of one source unit, complete with their binary data, built before the unit is committed: once a
 * mail is in the archive, nothing may stand between it and the output.
 */
export async function unitItems(ctx: IExecuteFunctions, outcome: UnitOutcome, source: IDataObject, pairedItem: IPairedItemData): Promise<UnitItems> {
	const items: UnitItems = { orders: [], skipped: [], errors: [] };
	const binaryOf = async (file: ArrivedFile | undefined) =>
		file ? { data: await ctx.helpers.prepareBinaryData(file.bytes, file.fileName, file.mimeType || mimeTypeOf(file.fileName)) } : undefined;
	const heldBack = outcome.failed ? outcome.verdicts.filter((v) => v.kind !== 'error').map(label) : [];
	for (const v of outcome.verdicts) {
		// a failed unit emits only its errors; its good documents are held back with it
		if (outcome.failed && v.kind !== 'error') continue;
		const json: IDataObject = {};
		if (v.kind === 'order') {
			Object.assign(json, { action: v.action, ...documentJson(v.doc), documentKey: v.key, contentHash: v.hash });
			if (v.previousHash) json.previousContentHash = v.previousHash;
		} else if (v.kind === 'skipped') {
			Object.assign(json, {
				reason: v.reason,
				message: v.message,
				type: v.doc.type,
				number: v.doc.number,
				date: v.doc.date,
				site: v.doc.site,
				documentKey: v.key,
				contentHash: v.hash,
			});
		} else {
			Object.assign(json, { reason: v.reason, message: v.message });
			if (v.file) json.file = v.file.fileName;
			if (v.position) json.position = { ...v.position };
			if (v.detail) json.detail = v.detail;
			if (v.doc) Object.assign(json, { type: v.doc.type, number: v.doc.number, date: v.doc.date, site: v.doc.site });
			if (v.key) json.documentKey = v.key;
			if (heldBack.length) {
				json.heldBack = heldBack;
				json.message = `${v.message} (held back with it, not imported: ${heldBack.join(', ')})`;
			}
		}
		json.source = { ...source, ...(v.file ? { file: v.file.fileName } : {}) };
		const item: INodeExecutionData = { json, pairedItem };
		const binary = await binaryOf(v.file);
		if (binary) item.binary = binary;
		(v.kind === 'order' ? items.orders : v.kind === 'skipped' ? items.skipped : items.errors).push(item);
	}
	return items;
}

/** A unit that failed as a whole before any document could be read (no attachment, too large …). */
export function unitError(reason: ErrorReason, message: string, file?: ArrivedFile): UnitOutcome {
	return { failed: true, verdicts: [{ kind: 'error', reason, message, file }], registrations: [] };
}

/**
 * Judges source units in their order: reads them, asks the memory's ledger once for all of them, then judges
 * each and stages its documents — until the unit is committed, so that the same document later in this run
 * counts as a duplicate.
 */
export async function judgeUnits(units: ArrivedFile[][], settings: ReceiveSettings): Promise<UnitOutcome[]> {
	const { memory, sites } = settings.judge;
	const read = units.map((files) => readUnit(files, sites));
	const candidates = read.flat().flatMap((r) => ('candidate' in r ? [r.candidate] : []));
	await memory.lookup(
		candidates,
		sites.rules.map((rule) => rule.id),
	);
	return read.map((unit) => {
		const outcome = judgeUnit(unit, settings.judge);
		memory.stage(outcome.registrations);
		return outcome;
	});
}

export async function judge(files: ArrivedFile[], settings: ReceiveSettings): Promise<UnitOutcome> {
	return (await judgeUnits([files], settings))[0];
}
