// Pictures of the workflow templates and of the package's node panels, taken from the real n8n editor.
//
//   source scripts/node24.sh
//   npm run build                       # the package as n8n loads it (dist/)
//   bash scripts/n8n-server.sh install  # n8n 2.41.3, once
//   node scripts/screenshots.mjs        # writes workflows-templates/images/*.png (about 1-2 minutes)
//
// What it does: a fresh n8n user folder with the built package (scripts/n8n-server.sh user-folder), demo
// credentials under the names the templates refer to (example.com hosts, no secrets) and every template of
// workflows-templates/ imported with the n8n CLI (scripts/n8n-server.sh import), n8n started on a free port,
// the owner account set up. Then headless Chromium (Debian's chromium, driven by playwright-core) signs in
// through the editor's sign-in page, opens each template's canvas, zooms to fit and saves
// images/<template>.png; it double-clicks each node of this package and saves its settings panel as
// images/node-<node>[-<operation>].png. A page that shows the sign-in form, an empty canvas or an error
// message fails the script. n8n is stopped and the user folder removed at the end, also after a failure.
//
// Environment: CHROMIUM (default /usr/bin/chromium), SCREENSHOT_WIDTH/SCREENSHOT_HEIGHT (1400 x 800),
// KEEP_USER_FOLDER=1 (leave the n8n user folder for a look), ONLY=<template file name part> (one template).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TEMPLATES = path.join(ROOT, 'workflows-templates');
const IMAGES = path.join(TEMPLATES, 'images');
const SCRIPT = path.join(ROOT, 'scripts/n8n-server.sh');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const WIDTH = Number(process.env.SCREENSHOT_WIDTH ?? 1400);
const HEIGHT = Number(process.env.SCREENSHOT_HEIGHT ?? 800);
/** Node panels are taller: the viewport grows with the parameter list, up to this height. */
const MAX_PANEL_HEIGHT = 1600;
const OWNER = { email: 'owner@backoffice.test', firstName: 'Demo', lastName: 'Owner', password: 'Screenshots-1' };
const PACKAGE_PREFIX = 'n8n-nodes-backoffice.';

const t0 = Date.now();
const log = (...args) => console.log(`[screenshots ${((Date.now() - t0) / 1000).toFixed(1)} s]`, ...args);

function script(args, env = {}) {
	return execFileSync('bash', [SCRIPT, ...args], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

async function freePort(avoid = []) {
	for (;;) {
		const port = await new Promise((resolve, reject) => {
			const srv = createServer();
			srv.once('error', reject);
			srv.listen(0, '127.0.0.1', () => {
				const p = srv.address().port;
				srv.close(() => resolve(p));
			});
		});
		const taken = [5678, 5679, ...avoid];
		if (!taken.includes(port) && !taken.includes(port + 1)) return port;
	}
}

/** Demo credential data per credential type: plausible, pointing nowhere, no secret. */
const DEMO_DATA = {
	backofficeImapApi: { host: 'imap.example.com', port: 993, security: 'tls', user: 'mailbox@example.com', password: 'example' },
	backofficeSmtpApi: { host: 'smtp.example.com', port: 587, security: 'starttls', user: 'mailbox@example.com', password: 'example', senderAddress: 'mailbox@example.com', senderName: 'Example GmbH' },
	backofficeFtpApi: { protocol: 'ftpsExplicit', host: 'ftp.example.com', port: 0, user: 'buchhaltung', password: 'example' },
	httpHeaderAuth: { name: 'Authorization', value: 'Bearer example' },
	smtp: { host: 'smtp.example.com', port: 587, secure: false, user: 'n8n@example.com', password: 'example' },
};

function templates() {
	const only = process.env.ONLY;
	return readdirSync(TEMPLATES)
		.filter((f) => f.endsWith('.json') && (!only || f.includes(only)))
		.sort()
		.map((file) => ({ file, workflow: JSON.parse(readFileSync(path.join(TEMPLATES, file), 'utf8')) }));
}

function demoCredentials(list) {
	const seen = new Map();
	for (const { workflow } of list) {
		for (const node of workflow.nodes) {
			for (const [type, reference] of Object.entries(node.credentials ?? {})) {
				const key = `${type}/${reference.name}`;
				if (seen.has(key)) continue;
				if (!DEMO_DATA[type]) throw new Error(`no demo data for credential type ${type} (node "${node.name}")`);
				seen.set(key, { id: `demo${String(seen.size + 1).padStart(12, '0')}`, name: reference.name, type, data: DEMO_DATA[type] });
			}
		}
	}
	return [...seen.values()];
}

/** node-<type in kebab case>[-<operation>] for a package node, e.g. node-order-exchange-receive. */
function panelName(node) {
	const type = node.type.slice(PACKAGE_PREFIX.length).replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
	const operation = node.parameters?.operation;
	// nodes with several operations get one picture per operation the templates use
	const multi = ['order-exchange'].includes(type);
	return `node-${type}${multi && operation ? `-${operation}` : ''}`;
}

async function main() {
	if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (or set CHROMIUM)`);
	if (!existsSync(path.join(ROOT, 'dist/index.js'))) throw new Error('dist/ is missing: run "npm run build" first');
	const { chromium } = await import('playwright-core');
	const list = templates();
	if (!list.length) throw new Error(`no templates in ${TEMPLATES}`);
	mkdirSync(IMAGES, { recursive: true });

	const userDir = mkdtempSync(path.join(os.tmpdir(), 'n8n-screenshots-'));
	const port = await freePort();
	const env = { N8N_PORT: String(port), N8N_RUNNERS_BROKER_PORT: String(await freePort([port])) };
	const base = `http://127.0.0.1:${port}`;
	let started = false;
	let browser;
	try {
		script(['user-folder', userDir]);
		const credentialsFile = path.join(userDir, 'demo-credentials.json');
		writeFileSync(credentialsFile, JSON.stringify(demoCredentials(list), null, 2));
		script(['import', userDir, credentialsFile], { ...env, N8N_TEMPLATES_DIR: TEMPLATES });
		started = true;
		script(['start-bg', userDir], env);
		log(`n8n on ${base}`);
		const setup = await fetch(`${base}/rest/owner/setup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(OWNER) });
		if (!setup.ok) throw new Error(`owner setup: HTTP ${setup.status} ${await setup.text()}`);

		browser = await chromium.launch({
			executablePath: CHROMIUM,
			args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
		});
		const context = await browser.newContext({ viewport: { width: WIDTH, height: HEIGHT }, deviceScaleFactor: 1 });
		const page = await context.newPage();

		// sign in the way a user does
		await page.goto(`${base}/signin`, { waitUntil: 'networkidle' });
		await page.fill('input[name="emailOrLdapLoginId"]', OWNER.email);
		await page.fill('input[name="password"]', OWNER.password);
		await page.click('[data-test-id="form-submit-button"]');
		await page.waitForURL((url) => !url.pathname.startsWith('/signin'), { timeout: 30_000 });
		log('signed in');

		const written = [];
		for (const { file, workflow } of list) {
			await page.setViewportSize({ width: WIDTH, height: HEIGHT });
			await page.goto(`${base}/workflow/${workflow.id}`, { waitUntil: 'networkidle' });
			await assertEditor(page, workflow);
			await page.click('[data-test-id="zoom-to-fit"]');
			await page.waitForTimeout(800);
			await assertNoError(page, file);
			const image = path.join(IMAGES, file.replace(/\.json$/, '.png'));
			await page.screenshot({ path: image });
			written.push(image);
			log(`${path.relative(ROOT, image)}`);

			for (const node of workflow.nodes.filter((n) => n.type.startsWith(PACKAGE_PREFIX))) {
				const name = panelName(node);
				if (written.some((w) => path.basename(w) === `${name}.png`)) continue;
				const panel = path.join(IMAGES, `${name}.png`);
				await screenshotPanel(page, node, panel);
				written.push(panel);
				log(`${path.relative(ROOT, panel)}`);
			}
		}
		log(`${written.length} picture(s) written`);
	} finally {
		await browser?.close();
		if (started) {
			try {
				script(['stop', userDir]);
			} catch (error) {
				console.error(error.message);
			}
		}
		if (process.env.KEEP_USER_FOLDER === '1') log(`user folder kept: ${userDir}`);
		else rmSync(userDir, { recursive: true, force: true });
	}
}

/** The canvas of `workflow` is shown with all its nodes: not the sign-in page, not an empty canvas. */
async function assertEditor(page, workflow) {
	await page.waitForSelector('[data-test-id="canvas-node"]', { timeout: 60_000 }).catch(() => undefined);
	if (page.url().includes('/signin')) throw new Error(`${workflow.name}: the editor shows the sign-in page`);
	const shown = (await page.locator('[data-test-id="canvas-node"]').count()) + (await page.locator('[data-test-id="sticky"]').count());
	if (shown < workflow.nodes.length) throw new Error(`${workflow.name}: the canvas shows ${shown} node(s), the template has ${workflow.nodes.length}`);
	const title = await page.title();
	if (!title.includes(workflow.name)) throw new Error(`${workflow.name}: the page is "${title}"`);
}

/** No error message (toast) on the page. */
async function assertNoError(page, what) {
	const errors = await page.locator('.el-notification--error, .el-message--error, [data-test-id="workflow-activation-error"]').allInnerTexts();
	if (errors.length) throw new Error(`${what}: the editor shows an error: ${errors.join(' | ')}`);
}

async function screenshotPanel(page, node, file) {
	await page.setViewportSize({ width: WIDTH, height: HEIGHT });
	const box = page.locator('[data-test-id="canvas-node"]').filter({ hasText: node.name }).first();
	await box.dblclick();
	await page.waitForSelector('[data-test-id="ndv"]', { timeout: 20_000 });
	await page.waitForTimeout(800);
	// grow the window until the parameter list fits (the panel scrolls otherwise)
	const needed = await page.evaluate(() => {
		const params = document.querySelector('[data-test-id="node-parameters"]');
		let el = params;
		while (el && el !== document.body) {
			const style = getComputedStyle(el);
			if (/(auto|scroll)/.test(style.overflowY) && el.scrollHeight > el.clientHeight) return el.scrollHeight - el.clientHeight;
			el = el.parentElement;
		}
		return 0;
	});
	if (needed > 0) {
		await page.setViewportSize({ width: WIDTH, height: Math.min(MAX_PANEL_HEIGHT, HEIGHT + needed + 40) });
		await page.waitForTimeout(600);
	}
	await assertNoError(page, node.name);
	const heading = await page.locator('[data-test-id="ndv"]').first().innerText();
	if (!heading.includes(node.name)) throw new Error(`the panel of "${node.name}" did not open`);
	await page.screenshot({ path: file });
	await page.keyboard.press('Escape');
	await page.waitForSelector('[data-test-id="ndv"]', { state: 'hidden', timeout: 10_000 }).catch(() => undefined);
	await page.setViewportSize({ width: WIDTH, height: HEIGHT });
}

main().catch((error) => {
	console.error(`[screenshots] failed: ${error.stack ?? error.message}`);
	process.exit(1);
});
