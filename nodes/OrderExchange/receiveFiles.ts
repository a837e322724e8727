import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError, sleep } from 'n8n-workflow';

import { CREDENTIAL, fileServerCredentials } from '../shared/credentials';
import { commitsAtExecutionEnd } from '../shared/executionEnd';
import { consumeFiles, type FileConsumer, type FileRunStop, type Settled } from '../shared/fileConsumer';
import { FileRecords } from '../shared/fileRecords';
import { userFacing } from '../shared/nodeErrors';
import { processKeyOf } from '../shared/processLock';
import type { SourceFile, WithFileSource } from '../shared/transports/fileSource';
import { FingerprintStore } from '../shared/transports/fingerprints';
import { folderFileSource } from '../shared/transports/folder';
import { remoteFileSource, remoteServer } from '../shared/transports/remoteDirectory';
import type { Registration } from './importRules';
import { judge, mimeTypeOf, unitError, unitItems, type Outputs, type ReceiveSettings, type UnitItems } from './receiveUnits';

/**
 * Receive from an FTP directory or a (cloud-synced) folder: the file source is driven by `consumeFiles`, as in
 * the Accounting FTP Import; this node only judges each file and turns the outcome into items. A file's
 * documents are remembered once its commit succeeded; a file another run took meanwhile is not emitted.
 */

interface FileResult {
	items: UnitItems;
	registrations: Registration[];
}

interface FilePlace {
	withSource: WithFileSource;
	/** the lock key of the server and login (one run per directory at a time, see consumeFiles) */
	exclusive: string;
	/** the `source` object of the items of one file */
	sourceJson(file: SourceFile): IDataObject;
	/** the `source` object of an item about the whole run */
	runJson(baseDirectory: string): IDataObject;
	check?: FileConsumer<SourceFile, FileResult>['check'];
}

async function ftpPlace(ctx: IExecuteFunctions, settings: ReceiveSettings, store: FingerprintStore): Promise<FilePlace> {
	const ftp = fileServerCredentials(await ctx.getCredentials(CREDENTIAL.ftp));
	const afterImport = ctx.getNodeParameter('afterImport', 0, 'archive') === 'delete' ? 'delete' : 'archive';
	const server = remoteServer(ftp);
	const withSource = remoteFileSource(
		ftp,
		{
			directory: String(ctx.getNodeParameter('ftpDirectory', 0, '') ?? ''),
			dateSubdirectories: 'none',
			daysBack: 0,
			nameFilter: settings.fileNamePattern,
			stableWaitMs: settings.uploadWaitMs,
			maxFileBytes: settings.maxFileBytes,
			maxFiles: settings.maxPerRun,
			afterImport,
			archiveDirectory: String(ctx.getNodeParameter('archiveDirectory', 0, 'processed/') ?? 'processed/'),
			onFailure: 'errorDirectory',
			errorDirectory: String(ctx.getNodeParameter('errorDirectory', 0, 'failed/') ?? 'failed/'),
			sleep,
		},
		// files whose delete or move failed are remembered by the source, so that they are not imported twice
		store,
	);
	return {
		withSource: withSource as WithFileSource,
		exclusive: `${ftp.host.toLowerCase()}|${ftp.user}`,
		sourceJson: (file) => ({ transport: 'ftp', server, path: file.path }),
		runJson: (directory) => ({ transport: 'ftp', server, directory }),
		check(source) {
			for (const [label, dir] of [
				['Archive Directory', source.archiveDirectory],
				['Error Directory', source.errorDirectory],
			] as const) {
				if (dir !== undefined && dir === source.baseDirectory) {
					throw new NodeOperationError(ctx.getNode(), `The ${label} ${dir} is the directory that is read: use a subdirectory such as "processed/"`);
				}
			}
		},
	};
}

function folderPlace(ctx: IExecuteFunctions, settings: ReceiveSettings): FilePlace {
	const directory = String(ctx.getNodeParameter('inputFolder', 0, '') ?? '').trim();
	if (!directory.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(directory)) {
		throw new NodeOperationError(ctx.getNode(), 'Enter the folder as an absolute path, e.g. /home/n8n/Nextcloud/Auftraege');
	}
	const withSource = folderFileSource({
		directory,
		processedDirectory: String(ctx.getNodeParameter('processedFolder', 0, 'processed') ?? 'processed'),
		failedDirectory: String(ctx.getNodeParameter('failedFolder', 0, 'failed') ?? 'failed'),
		nameFilter: settings.fileNamePattern,
		stableWaitMs: settings.uploadWaitMs,
		maxFileBytes: settings.maxFileBytes,
		maxFiles: settings.maxPerRun,
		sleep,
	});
	return {
		withSource: withSource as WithFileSource,
		exclusive: 'folder',
		sourceJson: (file) => ({ transport: 'folder', path: file.path }),
		runJson: (dir) => ({ transport: 'folder', directory: dir }),
	};
}

export async function receiveFiles(
	ctx: IExecuteFunctions,
	transport: 'ftp' | 'folder',
	settings: ReceiveSettings,
	out: Outputs,
	staticData: Record<string, unknown>,
): Promise<void> {
	const store = transport === 'ftp' ? new FingerprintStore(staticData, undefined, processKeyOf(ctx)) : undefined;
	const place = store ? await ftpPlace(ctx, settings, store) : folderPlace(ctx, settings);
	// each file claimed where every process sees it (two workers on one shared folder or FTP directory receive it
	// once), and files that stay at the server after their import (delete or move failed) recorded there too
	const claims = await FileRecords.open<SourceFile>(ctx, store ?? new FingerprintStore({}), staticData);
	let report;
	try {
		report = await consumeFiles<SourceFile, FileResult>(place.withSource, {
			exclusive: place.exclusive,
			claims,
			check: place.check,
			// deleted or moved once the execution has ended: a process killed before loses no order
			atEnd: commitsAtExecutionEnd(ctx, place.withSource),
			decide: async (file, read) => {
				const outcome =
					read.kind === 'tooLarge'
						? unitError('tooLarge', `${file.name}: larger than the limit of ${Math.round(read.limit / 1024 / 1024)} MB (Max File Size)`)
						: await judge([{ fileName: file.name, mimeType: mimeTypeOf(file.name), bytes: read.bytes }], settings);
				const items = await unitItems(ctx, outcome, place.sourceJson(file), { item: 0 });
				const result = { items, registrations: outcome.registrations };
				return outcome.failed || read.kind !== 'content' ? { action: 'fail', result } : { action: 'commit', result };
			},
			settle: (settled) => settleFile(settled, settings, out, place),
		});
	} catch (error) {
		store?.save();
		await claims.finish();
		throw userFacing(ctx, error);
	}
	store?.save();
	await claims.finish();
	if (report.busy) {
		out.error({
			reason: 'busy',
			message: `Another run is reading ${report.baseDirectory} right now; this run received nothing, the files wait for the next run.`,
			source: place.runJson(report.baseDirectory),
		});
		return;
	}
	// files whose items are in the output: from the first one on, a stop ends the run instead of failing it
	if (report.stop && report.counts.settled === 0) throw userFacing(ctx, report.stop.error);
	if (report.stop) out.error(stopJson(report.stop, place, report.baseDirectory));
}

function stopJson(stop: FileRunStop<SourceFile>, place: FilePlace, baseDirectory: string): IDataObject {
	if (stop.reason === 'connectionLost') {
		return {
			reason: 'connectionLost',
			message: `${stop.error.message}. The files not yet imported stay on the server for the next run.`,
			source: place.runJson(baseDirectory),
		};
	}
	return { reason: 'parseError', message: `The run stopped at ${stop.file!.name}: ${stop.error.message}`, source: place.sourceJson(stop.file!) };
}

/** A file's commit or fail is done: its items go out, and its documents are remembered once it is committed. */
function settleFile({ file, action, result, outcome }: Settled<SourceFile, FileResult>, settings: ReceiveSettings, out: Outputs, place: FilePlace): void {
	const memory = settings.judge.memory;
	if (outcome.kind === 'gone') {
		// another run took the file meanwhile and emits it: this run must not
		memory.discard(result.registrations);
		return;
	}
	if (action === 'fail') {
		out.add(result.items, outcome.kind === 'moved' ? { movedTo: outcome.to } : { movedTo: null, moveFailed: outcome.kind === 'moveFailed' ? outcome.reason : undefined });
		return;
	}
	if (outcome.kind === 'moveFailed') {
		// still in the folder, so it would be read again: neither emitted nor remembered, but reported
		memory.discard(result.registrations);
		out.error({
			reason: 'notMoved',
			message: `${file.name}: could not be moved into the processed folder (${outcome.reason}); it is read again by the next run`,
			source: place.sourceJson(file),
		});
		return;
	}
	memory.confirm(result.registrations);
	out.add(result.items, outcome.kind === 'moved' ? { movedTo: outcome.to } : outcome.kind === 'deleted' ? { deleted: true } : {});
	if (outcome.kind === 'remembered') {
		out.error({
			reason: 'notMoved',
			message: `${file.name}: imported, but ${outcome.reason}. The file is remembered and will not be imported again.`,
			source: place.sourceJson(file),
		});
	}
}
