/**
 * The real n8n editor (2.41.3) in headless Chromium, driven by playwright-core: what a user does there, as
 * short steps for test/e2e/editor.test.ts. Debian's `chromium` package (scripts/system-packages.sh installs
 * it); CHROMIUM names another binary. Every step waits for what the editor shows (selectors, responses), never
 * for a fixed time; time limits are generous because the editor loads slowly on a busy two-core machine.
 *
 * Pictures are written only when BACKOFFICE_SCREENSHOTS=1 (scripts/screenshots.mjs sets it), so that a test
 * run leaves the working tree as it was.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';

import { chromium, type Browser, type Locator, type Page } from 'playwright-core';

import { OWNER, ROOT } from './n8nInstance';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOTS = process.env.BACKOFFICE_SCREENSHOTS === '1';
/** One step of the editor (a click's effect, a panel opening, a node run): generous on a loaded machine. */
export const STEP_TIMEOUT = 180_000;
const WIDTH = 1400;
const HEIGHT = 800;
/** Node panels are taller: the window grows with the parameter list, up to this height (for pictures). */
const MAX_PANEL_HEIGHT = 1600;

/** Page-side code, as text: this project's TypeScript has no DOM types. */
const OVERFLOW_OF_PARAMETERS = `(() => {
	let el = document.querySelector('[data-test-id="node-parameters"]');
	while (el && el !== document.body) {
		const style = getComputedStyle(el);
		if (/(auto|scroll)/.test(style.overflowY) && el.scrollHeight > el.clientHeight) return el.scrollHeight - el.clientHeight;
		el = el.parentElement;
	}
	return 0;
})()`;
const NO_ANIMATION_RUNNING = `document.getAnimations().every((a) => a.playState !== 'running')`;

const t0 = Date.now();
/** Progress on the console (the steps are slow on a loaded machine; this shows where a run is). */
export function progress(message: string): void {
	process.stdout.write(`[editor ${((Date.now() - t0) / 1000).toFixed(0)} s] ${message}\n`);
}

const id = (testId: string) => `[data-test-id="${testId}"]`;

export async function launchBrowser(): Promise<Browser> {
	if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run "bash scripts/system-packages.sh" (installs Debian's chromium) or set CHROMIUM`);
	return await chromium.launch({
		executablePath: CHROMIUM,
		timeout: STEP_TIMEOUT,
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
	});
}

/** Whitespace as a reader sees it: the editor's JSON view breaks every value onto lines of its own. */
export const plain = (text: string): string => text.replace(/\s+/g, ' ').trim();

/** A signed-in editor tab of the n8n at `baseUrl`. */
export class Editor {
	private constructor(
		readonly page: Page,
		readonly baseUrl: string,
	) {}

	static async open(browser: Browser, baseUrl: string): Promise<Editor> {
		const context = await browser.newContext({ viewport: { width: WIDTH, height: HEIGHT }, deviceScaleFactor: 1 });
		const page = await context.newPage();
		page.setDefaultTimeout(STEP_TIMEOUT);
		page.setDefaultNavigationTimeout(STEP_TIMEOUT);
		// "leave without saving?" when a test moves on from an unsaved canvas
		page.on('dialog', (dialog) => void dialog.accept());
		const editor = new Editor(page, baseUrl);
		await editor.signIn();
		return editor;
	}

	/** The sign-in page, as a user signs in. */
	private async signIn(): Promise<void> {
		await this.page.goto(`${this.baseUrl}/signin`, { waitUntil: 'domcontentloaded' });
		await this.page.fill('input[name="emailOrLdapLoginId"]', OWNER.email);
		await this.page.fill('input[name="password"]', OWNER.password);
		await this.page.click(id('form-submit-button'));
		await this.page.waitForURL((url) => !url.pathname.startsWith('/signin'));
		progress('signed in');
	}

	/** An empty canvas with the node panel open. */
	async newWorkflow(): Promise<void> {
		await this.page.goto(`${this.baseUrl}/workflow/new`, { waitUntil: 'domcontentloaded' });
		await this.page.click(id('canvas-plus-button'));
		await this.page.waitForSelector(id('node-creator-search-bar'));
		progress('new workflow, node panel open');
	}

	/** The names the node panel lists for `query` (typed into its search field), once `expected` is among them. */
	async search(query: string, expected: string): Promise<string[]> {
		const bar = this.page.locator(id('node-creator-search-bar'));
		await bar.fill(query);
		// the list follows the query after a short debounce: wait for the entry the query is to find
		const names = this.page.locator(`${id('node-creator')} ${id('node-creator-item-name')}`);
		await this.pictureOnFailure('search', names.filter({ hasText: expected }).first().waitFor());
		return (await names.allInnerTexts()).map((n) => n.trim());
	}

	/**
	 * Adds `node` to the canvas through the node panel's search: n8n shows an installed community node's details,
	 * with its action list (then `action` is clicked) or, for a node of one action, "Add to workflow". The node's
	 * panel opens.
	 */
	async addNode(query: string, node: string, action?: string): Promise<void> {
		await this.search(query, node);
		await this.page.locator(id('item-iterator-item')).filter({ has: this.page.locator(id('node-creator-item-name'), { hasText: node }) }).first().click();
		const ndv = this.page.locator(`${id('ndv')} ${id('node-parameters')}`);
		const creator = this.page.locator(id('node-creator'));
		const wanted = action
			? creator.locator(id('item-iterator-item')).filter({ hasText: action }).first()
			: creator.getByRole('button', { name: 'Add to workflow' });
		await this.pictureOnFailure('add-node', ndv.or(wanted).first().waitFor());
		if (!(await ndv.isVisible())) await wanted.click();
		await this.pictureOnFailure('add-node', ndv.waitFor());
		progress(`added ${node}${action ? ` (${action})` : ''}`);
	}

	get ndv(): Locator {
		return this.page.locator(id('ndv'));
	}

	/**
	 * The labels of the open node panel: credential fields, then parameters, in the order shown. Only the label's
	 * title is read (not the "Fixed / Expression" switch or a hint beside it), without the "*" of a required field.
	 */
	async panelLabels(): Promise<string[]> {
		const titles = this.ndv.locator(`${id('node-credentials-slot')} label.n8n-input-label, ${id('node-parameters')} ${id('input-label')} label.n8n-input-label`);
		const texts = await titles.evaluateAll((labels) => labels.map((l) => (l.firstElementChild?.firstElementChild as { innerText?: string } | null)?.innerText ?? ''));
		return [...new Set(texts.map((l) => plain(l).replace(/\s*\*$/, '')).filter(Boolean))];
	}

	/** The value shown by the parameter `name` of the open node panel (a selector's label, a field's text). */
	async parameterValue(name: string): Promise<string> {
		return await this.ndv.locator(`${id(`parameter-input-${name}`)} input`).first().inputValue();
	}

	/** The labels a selector parameter of the open panel offers (its list opened, then closed again). */
	async parameterOptions(name: string): Promise<string[]> {
		await this.ndv.locator(`${id(`parameter-input-${name}`)} input`).first().click();
		const list = this.page.locator('.el-select-dropdown:visible .el-select-dropdown__item');
		await list.first().waitFor();
		const options = (await list.locator('.option-headline').allInnerTexts()).map(plain).filter(Boolean);
		await this.page.keyboard.press('Escape');
		await list.first().waitFor({ state: 'hidden' });
		return [...new Set(options)];
	}

	/** Chooses `option` (its label) in the selector parameter `name` of the open panel. */
	async chooseOption(name: string, option: string): Promise<void> {
		await this.ndv.locator(`${id(`parameter-input-${name}`)} input`).first().click();
		const item = this.page.locator('.el-select-dropdown:visible .el-select-dropdown__item').filter({ has: this.page.locator('.option-headline', { hasText: option }) });
		await item.first().click();
		// the list closes with an animation; a click meanwhile (on another field) would only close it
		await this.page.locator('.el-select-dropdown:visible .el-select-dropdown__item').first().waitFor({ state: 'hidden' });
		await this.waitForAnimations();
		await this.ndv.locator(`${id(`parameter-input-${name}`)} input`).first().waitFor();
	}

	async fillParameter(name: string, value: string): Promise<void> {
		await this.ndv.locator(`${id(`parameter-input-${name}`)} input, ${id(`parameter-input-${name}`)} textarea`).first().fill(value);
	}

	/**
	 * Picks the credential `name` in the credential field labelled `label` of the open node panel, as a user does
	 * (n8n preselects the most recently changed credential of any type the field takes, which need not be it).
	 */
	async pickCredential(label: string | undefined, name: string): Promise<void> {
		const slots = this.ndv.locator(id('node-credentials-slot'));
		const slot = label === undefined ? slots.first() : slots.filter({ has: this.page.locator(id('credentials-label'), { hasText: label }) });
		const input = slot.locator(`${id('node-credentials-select')} input`).first();
		if ((await this.pictureOnFailure('pick-credential', input.inputValue())) !== name) {
			await input.click();
			const option = this.page.locator('.el-select-dropdown:visible .el-select-dropdown__item').filter({ hasText: name }).first();
			await this.pictureOnFailure('pick-credential', option.click());
			await this.page.waitForFunction(([el, want]) => (el as { value?: string }).value === want, [await input.elementHandle(), name] as const);
		}
		progress(`credential "${label ?? 'first field'}": ${name}`);
	}

	/**
	 * The credentials the credential field labelled `label` of the open panel offers, as shown: "<name> <type>"
	 * (its list opened, then closed again; "Create new credential" left out).
	 */
	async credentialOptions(label: string): Promise<string[]> {
		const slot = this.ndv.locator(id('node-credentials-slot')).filter({ has: this.page.locator(id('credentials-label'), { hasText: label }) });
		await slot.locator(`${id('node-credentials-select')} input`).first().click();
		const list = this.page.locator('.el-select-dropdown:visible .el-select-dropdown__item');
		await this.pictureOnFailure('credential-options', list.first().waitFor());
		const options = (await list.allInnerTexts()).map(plain).filter((o) => o && !/^Create new credential$/i.test(o));
		await this.page.keyboard.press('Escape');
		await list.first().waitFor({ state: 'hidden' });
		return options;
	}

	/** "Execute step" (or "Fetch Test Event") in the open node panel; the output panel's text once it is shown. */
	async executeStep(): Promise<string> {
		await this.ndv.locator(id('node-execute-button')).click();
		const output = this.ndv.locator(id('output-panel'));
		// one output: "N items"; several: a tab per output ("Sent Branch (1 item)"); or the node's error
		const shown = output.locator(`${id('ndv-items-count')}, ${id('branches')}, ${id('node-error-message')}, ${id('node-error-description')}`).first();
		await this.pictureOnFailure('execute-step', shown.waitFor());
		if (await output.locator(id('radio-button-json')).isVisible()) {
			await output.locator(id('radio-button-json')).click();
			await output.locator('.json-data, [class*="jsonDisplay"], pre').first().waitFor().catch(() => undefined);
		}
		const text = plain(await output.innerText());
		progress(`ran the node: ${text.slice(0, 160)}`);
		return text;
	}

	async closePanel(): Promise<void> {
		await this.ndv.locator(id('ndv-close-button')).click();
		await this.ndv.waitFor({ state: 'hidden' });
	}

	/** A saved workflow's canvas, every node drawn (notes included). */
	async openWorkflow(workflowId: string, nodeCount: number): Promise<void> {
		await this.page.setViewportSize({ width: WIDTH, height: HEIGHT });
		await this.page.goto(`${this.baseUrl}/workflow/${workflowId}`, { waitUntil: 'domcontentloaded' });
		const drawn = this.page.locator(`${id('canvas-node')}, ${id('sticky')}`);
		await drawn.nth(nodeCount - 1).waitFor();
		if (this.page.url().includes('/signin')) throw new Error(`workflow ${workflowId}: the editor shows the sign-in page`);
		progress(`opened workflow ${workflowId}`);
	}

	/** The canvas nodes that carry an issue marker (red triangle), by name. */
	async nodesWithIssues(): Promise<string[]> {
		const marked = this.page.locator(id('canvas-node')).filter({ has: this.page.locator(id('node-issues')) });
		return (await marked.evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-node-name') ?? n.textContent ?? ''))).map(plain);
	}

	/** Double-clicks the canvas node `name`; its panel opens. */
	async openNode(name: string): Promise<void> {
		await this.page.locator(`${id('canvas-node')}[data-node-name="${name}"]`).dblclick();
		await this.ndv.waitFor();
		await this.ndv.locator(id('node-parameters')).waitFor();
		const title = plain(await this.ndv.locator(id('node-title-container')).innerText());
		if (!title.includes(name)) throw new Error(`the panel of "${name}" did not open (shown: "${title}")`);
	}

	/** Error messages (toasts) the editor shows. */
	async errors(): Promise<string[]> {
		return await this.page.locator('.el-notification--error, .el-message--error').allInnerTexts();
	}

	/** Writes `file` (relative to the repository) when pictures are asked for; the window fits the open panel. */
	async screenshot(file: string, options: { fitPanel?: boolean; zoomToFit?: boolean } = {}): Promise<void> {
		if (!SCREENSHOTS) return;
		const target = path.join(ROOT, file);
		mkdirSync(path.dirname(target), { recursive: true });
		if (options.zoomToFit) {
			await this.page.click(id('zoom-to-fit'));
			await this.waitForAnimations();
		}
		if (options.fitPanel) {
			const needed = Number(await this.page.evaluate(OVERFLOW_OF_PARAMETERS));
			if (needed > 0) await this.page.setViewportSize({ width: WIDTH, height: Math.min(MAX_PANEL_HEIGHT, HEIGHT + needed + 40) });
			await this.waitForAnimations();
		}
		await this.page.screenshot({ path: target });
		await this.page.setViewportSize({ width: WIDTH, height: HEIGHT });
	}

	/** `step`'s result; when it fails, the page as it was is saved to .cache/editor-failures/ (named in the error). */
	async pictureOnFailure<T>(what: string, step: Promise<T>): Promise<T> {
		try {
			return await step;
		} catch (error) {
			const file = path.join(ROOT, '.cache/editor-failures', `${what}-${Date.now()}.png`);
			mkdirSync(path.dirname(file), { recursive: true });
			await this.page.screenshot({ path: file }).catch(() => undefined);
			(error as Error).message += `\n(the page at that moment: ${path.relative(ROOT, file)})`;
			throw error;
		}
	}

	/** Until no CSS transition or animation of the page runs (the canvas's zoom, a panel sliding in). */
	private async waitForAnimations(): Promise<void> {
		await this.page.waitForFunction(NO_ANIMATION_RUNNING, undefined, { timeout: 30_000 }).catch(() => undefined);
	}

	async close(): Promise<void> {
		await this.page.context().close();
	}
}
