/**
 * The tests' connect time-out is generous (setupEnv.ts), so that a loaded machine never fails a login by chance;
 * a test of a server that never answers shortens it for itself only.
 */
export async function withConnectTimeout<T>(ms: number, run: () => Promise<T>): Promise<T> {
	const before = process.env.BACKOFFICE_CONNECT_TIMEOUT_MS;
	process.env.BACKOFFICE_CONNECT_TIMEOUT_MS = String(ms);
	try {
		return await run();
	} finally {
		if (before === undefined) delete process.env.BACKOFFICE_CONNECT_TIMEOUT_MS;
		else process.env.BACKOFFICE_CONNECT_TIMEOUT_MS = before;
	}
}
