import type { INode } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { TransportError } from './transports/transportError';

/**
 * Errors for the user, mapped here for every node of the package: a server that could not be reached, broke
 * off or answered with a fault (a `TransportError` of a server kind) is a NodeApiError with the fault in plain
 * words (passwords removed by the transport layer); a configuration the user can fix (a directory or folder
 * that does not exist, a command the server refused) is a NodeOperationError whose description says what to
 * do. `note` is added to the message (e.g. what was already sent before the error).
 */
export function userFacing(
	ctx: { getNode(): INode },
	error: unknown,
	itemIndex?: number,
	note = '',
): NodeApiError | NodeOperationError {
	if (error instanceof NodeOperationError || error instanceof NodeApiError) return error;
	const at = itemIndex === undefined ? {} : { itemIndex };
	if (error instanceof TransportError && error.kind === 'oauth2') {
		return new NodeOperationError(ctx.getNode(), error.message + note, {
			...at,
			description:
				'Open the OAuth2 credential, check provider, mailbox and scopes, and click "Reconnect" (app-only sign-in: check client ID, client secret and the app\'s permissions).',
		});
	}
	if (error instanceof TransportError) {
		const described = error.hint === undefined ? at : { ...at, description: error.hint };
		if (error.isServerFault) {
			return new NodeApiError(ctx.getNode(), { message: error.message, code: error.code ?? error.kind }, { message: error.message + note, ...described });
		}
		return new NodeOperationError(ctx.getNode(), error.message + note, described);
	}
	const message = (error as Error)?.message ?? String(error);
	return new NodeOperationError(ctx.getNode(), message + note, at);
}
