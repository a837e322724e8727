/**
 * A real n8n server (2.41.3, from scripts/n8n-server/) for the end-to-end tests: a fresh user folder with the
 * built package installed the way n8n installs a community package (scripts/n8n-server.sh user-folder),
 * optional CLI imports before the start, n8n on a free port, and the owner account set up. REST calls then
 * carry the owner's session cookie (`n8n-auth`), as the editor's do.
 *
 * Installs nothing: run `bash scripts/n8n-server.sh install` and `npm run build` first (`npm test` does both).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');
export const SCRIPT = path.join(ROOT, 'scripts/n8n-server.sh');
export const N8N_BIN = path.join(ROOT, 'scripts/n8n-server/node_modules/n8n/bin/n8n');
export const PKG = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
	name: string;
	version: string;
	n8n: { credentials: string[]; nodes: string[] };
};

export const START_TIMEOUT_S = 240;
/** The owner account every instance gets (a fresh instance lets anyone create it). */
export const OWNER = { email: 'owner@backoffice.test', firstName: 'E2e', lastName: 'Owner', password: 'E2e-Passw0rd' };

/** Ports handed out in this process, so that two instances started one after the other never collide. */
const handedOut = new Set<number>();

export async function freePort(avoid: number[] = []): Promise<number> {
	for (;;) {
		const port = await new Promise<number>((resolve, reject) => {
			const srv = createServer();
			srv.once('error', reject);
			srv.listen(0, '127.0.0.1', () => {
				const p = (srv.address() as { port: number }).port;
				srv.close(() => resolve(p));
			});
		});
		const taken = [...avoid, ...handedOut, 5678, 5679];
		if (!taken.includes(port) && !taken.includes(port - 1) && !taken.includes(port + 1)) {
			handedOut.add(port);
			return port;
		}
	}
}

/** scripts/n8n-server.sh with `args`; throws with the script's output when it fails. */
export function runScript(args: string[], env: NodeJS.ProcessEnv = {}): string {
	try {
		return execFileSync('bash', [SCRIPT, ...args], {
			cwd: ROOT,
			env: { ...process.env, ...env },
			encoding: 'utf8',
			stdio: ['ignore', 'pipe', 'pipe'],
			maxBuffer: 64 * 1024 * 1024,
		});
	} catch (error) {
		const e = error as { stdout?: string; stderr?: string; message: string };
		throw new Error(`scripts/n8n-server.sh ${args.join(' ')} failed:\n${e.stdout ?? ''}\n${e.stderr ?? e.message}`);
	}
}

/** Fails early, with the command that fixes it, when n8n or the built package is missing. */
export function assertPrerequisites(): void {
	if (!existsSync(N8N_BIN)) {
		throw new Error('The n8n server is not installed: run "bash scripts/n8n-server.sh install" (npm test does it).');
	}
	for (const file of [...PKG.n8n.credentials, ...PKG.n8n.nodes]) {
		if (!existsSync(path.join(ROOT, file))) throw new Error(`${file} is missing: run "npm run build" first.`);
	}
}

export interface StartOptions {
	/** Runs after the package is installed and before n8n starts: CLI imports (see `N8nInstance.cli`). */
	prepare?: (instance: N8nInstance) => void | Promise<void>;
	/**
	 * A user folder whose `.n8n/nodes` (the installed package) is copied instead of installing the package
	 * again; `user-folder` then only confirms that it is unchanged.
	 */
	nodesFrom?: string;
	/** Extra environment for n8n (e.g. N8N_LOG_LEVEL). */
	env?: NodeJS.ProcessEnv;
	/** Prefix of the temporary user folder. */
	label?: string;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export class N8nInstance {
	readonly userDir: string;
	port = 0;
	brokerPort = 0;
	baseUrl = '';
	cookie = '';
	private started = false;
	private env: NodeJS.ProcessEnv;

	private constructor(label: string, env: NodeJS.ProcessEnv) {
		this.userDir = mkdtempSync(path.join(os.tmpdir(), `${label}-`));
		this.env = env;
	}

	/** A fresh user folder with the package, `prepare`, n8n started on a free port, the owner set up. */
	static async start(options: StartOptions = {}): Promise<N8nInstance> {
		assertPrerequisites();
		const instance = new N8nInstance(options.label ?? 'n8n-e2e', options.env ?? {});
		try {
			if (options.nodesFrom) {
				cpSync(path.join(options.nodesFrom, '.n8n/nodes'), path.join(instance.userDir, '.n8n/nodes'), { recursive: true });
			}
			runScript(['user-folder', instance.userDir]);
			await options.prepare?.(instance);
			await instance.startServer();
			await instance.setUpOwner();
		} catch (error) {
			instance.stop();
			throw error;
		}
		return instance;
	}

	/** The environment scripts/n8n-server.sh gives n8n for this instance (port, task broker port, extras). */
	private scriptEnv(): NodeJS.ProcessEnv {
		return {
			...this.env,
			...(this.port ? { N8N_PORT: String(this.port), N8N_RUNNERS_BROKER_PORT: String(this.brokerPort) } : {}),
			N8N_START_TIMEOUT: String(START_TIMEOUT_S),
		};
	}

	/** An n8n CLI command (`import:workflow --input=…`, `import:credentials --input=…`) on this user folder. */
	cli(args: string[]): string {
		return runScript(['cli', this.userDir, ...args], this.scriptEnv());
	}

	/** scripts/n8n-server.sh import: credentials (if given), then every workflow JSON of `templatesDir`. */
	importTemplates(templatesDir: string, credentialsFile?: string): string {
		return runScript(['import', this.userDir, ...(credentialsFile ? [credentialsFile] : [])], {
			...this.scriptEnv(),
			N8N_TEMPLATES_DIR: templatesDir,
		});
	}

	private async startServer(): Promise<void> {
		this.port = await freePort();
		this.brokerPort = await freePort([this.port]);
		this.baseUrl = `http://127.0.0.1:${this.port}`;
		this.started = true;
		const t0 = Date.now();
		runScript(['start-bg', this.userDir], this.scriptEnv());
		console.log(`n8n ready on ${this.baseUrl} after ${Date.now() - t0} ms (${this.userDir})`);
	}

	private async setUpOwner(): Promise<void> {
		// A fresh instance lets anyone create the owner; the answer sets the session cookie (n8n-auth).
		const res = await fetch(`${this.baseUrl}/rest/owner/setup`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(OWNER),
		});
		if (!res.ok) throw new Error(`owner setup: HTTP ${res.status} ${await res.text()}`);
		const auth = res.headers.getSetCookie().find((c) => c.startsWith('n8n-auth='));
		if (!auth) throw new Error('owner setup set no n8n-auth cookie');
		this.cookie = auth.split(';')[0];
	}

	/** A REST call as the signed-in owner; the answer's JSON (most n8n answers wrap it in `data`). */
	async api<T>(method: Method, urlPath: string, body?: unknown): Promise<T> {
		const res = await fetch(this.baseUrl + urlPath, {
			method,
			headers: { cookie: this.cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const text = await res.text();
		if (!res.ok) throw new Error(`${method} ${urlPath}: HTTP ${res.status} ${text.slice(0, 1000)}`);
		return (text ? JSON.parse(text) : undefined) as T;
	}

	/** n8n's own log (the background start writes it into the user folder). */
	log(): string {
		const file = path.join(this.userDir, 'n8n.log');
		return existsSync(file) ? readFileSync(file, 'utf8') : '';
	}

	/** Stops n8n (if this instance started it) and removes the user folder. Never throws. */
	stop(keepUserDir = false): void {
		try {
			if (this.started) runScript(['stop', this.userDir]);
		} catch (error) {
			console.warn((error as Error).message);
		}
		this.started = false;
		if (!keepUserDir) rmSync(this.userDir, { recursive: true, force: true });
	}
}
