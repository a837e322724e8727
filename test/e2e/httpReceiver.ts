/**
 * A small HTTP server on 127.0.0.1 that stands in for the ERP (and the home office's system) of the workflow
 * templates: it records every request and answers from routes the test sets up. The templates' placeholder
 * URLs (https://erp.example.com/…) are pointed at it before the import.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export interface ReceivedRequest {
	method: string;
	/** path without the query */
	path: string;
	query: Record<string, string>;
	headers: IncomingHttpHeaders;
	/** the body parsed as JSON when it is JSON, else the text */
	body: unknown;
}

export interface Answer {
	status?: number;
	body?: unknown;
}

type Route = (request: ReceivedRequest) => Answer | undefined;

export class HttpReceiver {
	readonly requests: ReceivedRequest[] = [];
	private readonly routes: Array<{ method: string; pattern: RegExp; route: Route }> = [];
	private server: Server | undefined;
	baseUrl = '';

	/** Answers `method` requests whose path matches `pattern` (a string matches the whole path). */
	on(method: string, pattern: string | RegExp, route: Route | Answer): this {
		const regexp = typeof pattern === 'string' ? new RegExp(`^${pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : pattern;
		this.routes.push({ method: method.toUpperCase(), pattern: regexp, route: typeof route === 'function' ? route : () => route });
		return this;
	}

	async start(): Promise<string> {
		this.server = createServer((req, res) => {
			const chunks: Buffer[] = [];
			req.on('data', (c: Buffer) => chunks.push(c));
			req.on('end', () => {
				const url = new URL(req.url ?? '/', 'http://receiver');
				const text = Buffer.concat(chunks).toString('utf8');
				let body: unknown = text;
				if (text && /json/i.test(req.headers['content-type'] ?? '')) {
					try {
						body = JSON.parse(text) as unknown;
					} catch {
						body = text;
					}
				}
				const request: ReceivedRequest = {
					method: req.method ?? 'GET',
					path: url.pathname,
					query: Object.fromEntries(url.searchParams),
					headers: req.headers,
					body,
				};
				this.requests.push(request);
				// the last route added wins, so a test can override a default answer
				const match = [...this.routes].reverse().find((r) => r.method === request.method && r.pattern.test(request.path));
				const answer = match?.route(request) ?? (match ? { status: 200, body: {} } : { status: 404, body: { error: 'no route' } });
				res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' });
				res.end(JSON.stringify(answer.body ?? {}));
			});
		});
		await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
		this.baseUrl = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
		return this.baseUrl;
	}

	/** The requests of `method` whose path matches. */
	received(method: string, pattern: string | RegExp): ReceivedRequest[] {
		const test = (path: string) => (typeof pattern === 'string' ? path === pattern : pattern.test(path));
		return this.requests.filter((r) => r.method === method.toUpperCase() && test(r.path));
	}

	async stop(): Promise<void> {
		const server = this.server;
		this.server = undefined;
		if (!server) return;
		server.closeAllConnections();
		await new Promise<void>((resolve) => server.close(() => resolve()));
	}
}
