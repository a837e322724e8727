/**
 * A real n8n server (2.41.3, from scripts/n8n-server/) for the end-to-end tests: a fresh user folder with the
 * built package installed the way n8n installs a community package (scripts/n8n-server.sh user-folder),
 * optional CLI imports before the start, n8n on a free port, and the owner account set up. REST calls then
 * carry the owner's session cookie (`n8n-auth`), as the editor's do.
 *
 * Installs nothing: run `bash scripts/n8n-server.sh install` and `npm run build` first (`npm test` does both).
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');
export const SCRIPT = path.join(ROOT, 'scripts/n8n-server.sh');
export const QUEUE_SCRIPT = path.join(ROOT, 'scripts/queue-servers.sh');
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

/** scripts/n8n-server.sh with `args`, without blocking the event loop (two workers start side by side). */
function runScriptAsync(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
	return new Promise((resolve, reject) => {
		execFile('bash', [SCRIPT, ...args], { cwd: ROOT, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
			if (error) reject(new Error(`scripts/n8n-server.sh ${args.join(' ')} failed:\n${stdout}\n${stderr}`));
			else resolve(stdout);
		});
	});
}

/**
 * How the e2e tests run n8n: `default` (SQLite, one process, as `npm start`) or `queue` (PostgreSQL and Redis of
 * scripts/queue-servers.sh, a main and two workers, as `npm run start:queue`). A test file that imports another
 * one switches the mode first (see templates-queue.test.ts); each jest test file has its own module state.
 */
export type N8nMode = 'default' | 'queue';
let e2eMode: N8nMode = 'default';
export function useN8nMode(mode: N8nMode): void {
	e2eMode = mode;
}
export function n8nMode(): N8nMode {
	return e2eMode;
}

/** scripts/queue-servers.sh ARGS (PostgreSQL and Redis on the ports of BO_PG_PORT / BO_REDIS_PORT). */
export function queueServers(args: string[]): string {
	return execFileSync('bash', [QUEUE_SCRIPT, ...args], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Starts PostgreSQL and Redis unless they run; returns whether this call started them (then stop them after). */
export function ensureQueueServers(): boolean {
	try {
		queueServers(['status']);
		return false;
	} catch {
		queueServers(['start']);
		return true;
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
	/** default: the mode of `useN8nMode` (default mode unless a test file switched it). */
	mode?: N8nMode;
	/** Queue mode: how many workers (2). */
	workers?: number;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export class N8nInstance {
	readonly userDir: string;
	port = 0;
	brokerPort = 0;
	baseUrl = '';
	cookie = '';
	readonly mode: N8nMode;
	/** Queue mode: the environment each worker was started with (its ports), by worker number (1, 2, …). */
	private workerEnv: NodeJS.ProcessEnv[] = [];
	private started = false;
	private env: NodeJS.ProcessEnv;
	private database = '';

	private constructor(label: string, env: NodeJS.ProcessEnv, mode: N8nMode) {
		this.userDir = mkdtempSync(path.join(os.tmpdir(), `${label}-`));
		this.mode = mode;
		this.env = env;
		if (mode === 'queue') {
			// a database and a Redis key prefix of its own: instances side by side never share executions
			this.database = `e2e_${randomBytes(6).toString('hex')}`;
			this.env = { ...env, BACKOFFICE_N8N_MODE: 'queue', BO_N8N_DATABASE: this.database, QUEUE_BULL_PREFIX: this.database };
		}
	}

	/** A fresh user folder with the package, `prepare`, n8n started on a free port, the owner set up. */
	static async start(options: StartOptions = {}): Promise<N8nInstance> {
		assertPrerequisites();
		const instance = new N8nInstance(options.label ?? 'n8n-e2e', options.env ?? {}, options.mode ?? e2eMode);
		try {
			if (instance.database) {
				ensureQueueServers();
				queueServers(['createdb', instance.database]);
			}
			if (options.nodesFrom) {
				cpSync(path.join(options.nodesFrom, '.n8n/nodes'), path.join(instance.userDir, '.n8n/nodes'), { recursive: true });
			}
			runScript(['user-folder', instance.userDir]);
			await options.prepare?.(instance);
			await instance.startServer();
			if (instance.mode === 'queue') await instance.startWorkers(options.workers ?? 2);
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

	/** Queue mode: workers 1..count side by side (scripts/n8n-server.sh worker-bg), each with its own ports. */
	private async startWorkers(count: number): Promise<void> {
		const t0 = Date.now();
		const starts: Array<Promise<void>> = [];
		for (let n = 1; n <= count; n++) {
			const health = await freePort([this.port, this.brokerPort]);
			const broker = await freePort([this.port, this.brokerPort, health]);
			this.workerEnv[n] = { QUEUE_HEALTH_CHECK_PORT: String(health), N8N_RUNNERS_BROKER_PORT: String(broker) };
			starts.push(this.startWorker(n));
		}
		await Promise.all(starts);
		console.log(`${count} n8n worker(s) ready after ${Date.now() - t0} ms`);
	}

	/** Queue mode: (re)starts worker n on its ports; resolves when its health check answers. */
	async startWorker(n: number): Promise<void> {
		await runScriptAsync(['worker-bg', this.userDir, String(n)], { ...this.scriptEnv(), ...this.workerEnv[n] });
	}

	/** The process id in DIR/<name>.pid (`n8n` for the main, `worker-1`, … for the workers). */
	private pidOf(name: string): number {
		const pid = Number(readFileSync(path.join(this.userDir, `${name}.pid`), 'utf8'));
		if (!pid) throw new Error(`no ${name}.pid in ${this.userDir}`);
		return pid;
	}

	/**
	 * SIGKILL for the main (`n8n`) or a worker (`worker-1`, …) and its task runner (its process group, as a
	 * crash of the machine would end them); returns once the process is gone.
	 */
	async kill(name: string): Promise<void> {
		const pid = this.pidOf(name);
		process.kill(-pid, 'SIGKILL');
		for (;;) {
			try {
				process.kill(pid, 0);
			} catch {
				return;
			}
			await new Promise((resolve) => setTimeout(resolve, 50));
		}
	}

	/** Starts the main again after `kill('n8n')`: same user folder, same ports (the session cookie stays valid). */
	async restartMain(): Promise<void> {
		const t0 = Date.now();
		await runScriptAsync(['start-bg', this.userDir], this.scriptEnv());
		console.log(`n8n main restarted after ${Date.now() - t0} ms`);
	}

	/** Queue mode: worker n's log (scripts/n8n-server.sh writes it next to the main's). */
	workerLog(n: number): string {
		const file = path.join(this.userDir, `worker-${n}.log`);
		return existsSync(file) ? readFileSync(file, 'utf8') : '';
	}

	/** Queue mode: the ids of the executions worker n logged as started ("Worker started execution 7 (job 7)"). */
	workerExecutions(n: number): string[] {
		return [...this.workerLog(n).matchAll(/Worker started execution (\d+) \(job/g)].map((m) => m[1]);
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
		const request = async () =>
			await fetch(this.baseUrl + urlPath, {
				method,
				headers: { cookie: this.cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
				body: body === undefined ? undefined : JSON.stringify(body),
			});
		let res: Response;
		try {
			res = await request();
		} catch (error) {
			// a kept-alive connection that n8n closed as the request went out on it (EPIPE, or undici's "other side
			// closed" before any answer): n8n closes only idle connections, so it never read the request, and
			// sending it once more on a new connection cannot do anything twice. Seen on a heavily loaded machine.
			const code = (error as { cause?: { code?: string } }).cause?.code;
			if (code !== 'EPIPE' && code !== 'UND_ERR_SOCKET') throw error;
			res = await request();
		}
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
		if (this.database && !keepUserDir) {
			try {
				queueServers(['dropdb', this.database]);
			} catch (error) {
				console.warn((error as Error).message);
			}
		}
		if (!keepUserDir) rmSync(this.userDir, { recursive: true, force: true });
	}
}
