import type { INode } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { ConnectionError } from './transports/connectionErrors';
import { FolderMissingError } from './transports/folder';
import { FtpDirectoryMissing, FtpSourceConnectionLost } from './transports/ftpSource';
import { FolderNotFoundError } from './transports/imapSource';

/**
 * Errors for the user: a server that answered with an error or could not be reached is a NodeApiError (with
 * the fault in plain words, passwords removed by the transport layer); a configuration the user can fix is a
 * NodeOperationError that says what to fix. Every node of the package maps its errors here.
 */
export function userFacing(
	ctx: { getNode(): INode },
	error: unknown,
	itemIndex?: number,
	note = '',
): NodeApiError | NodeOperationError {
	if (error instanceof NodeOperationError || error instanceof NodeApiError) return error;
	const at = itemIndex === undefined ? {} : { itemIndex };
	if (error instanceof ConnectionError && error.kind === 'oauth2') {
		return new NodeOperationError(ctx.getNode(), error.message + note, {
			...at,
			description: 'Open the OAuth2 credential, check provider, mailbox and scopes, and click "Reconnect".',
		});
	}
	if (error instanceof ConnectionError) {
		return new NodeApiError(ctx.getNode(), { message: error.message, code: error.code ?? error.kind }, { message: error.message + note, ...at });
	}
	if (error instanceof FtpSourceConnectionLost) {
		return new NodeApiError(ctx.getNode(), { message: error.message, code: 'connectionLost' }, { message: error.message + note, ...at });
	}
	if (error instanceof FolderNotFoundError) {
		const known = error.known.slice(0, 30).join(', ');
		return new NodeOperationError(ctx.getNode(), error.message, {
			...at,
			description:
				(known ? `Folders on the server: ${known}${error.known.length > 30 ? ', …' : ''}. ` : '') +
				'Check the path (as your mail program shows it, starting at INBOX), or switch on the option "Create Missing Folders".',
		});
	}
	if (error instanceof FtpDirectoryMissing || error instanceof FolderMissingError) {
		return new NodeOperationError(ctx.getNode(), error.message, { ...at, description: 'Create it, or correct the path.' });
	}
	const message = (error as Error)?.message ?? String(error);
	return new NodeOperationError(ctx.getNode(), message + note, at);
}
