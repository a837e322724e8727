import Handlebars from 'handlebars';

import { headerSafe } from './addresses';

/**
 * Mail templates (subject, text, HTML) with Handlebars placeholders: `{{customer.name}}`,
 * `{{#each invoices}}{{number}}{{/each}}`. Handlebars rather than a hand-written replacer, because users
 * need loops and conditions ("Ihre Rechnung" / "Ihre Rechnungen") and a well-kept library gets escaping right.
 *
 * - HTML escapes every `{{value}}` (`{{{value}}}` does not): customer data cannot inject markup.
 * - Text and subject are not escaped: `&` stays `&` in a plain-text mail.
 * - The subject is made header-safe after rendering: CR/LF from data cannot add headers.
 * - Only Handlebars' built-in helpers (each, if, unless, with, lookup, log) exist, and a template that calls
 *   another one is refused when it is compiled, not in the middle of a run. Handlebars 4.6+ refuses access
 *   to prototype properties (`{{constructor}}` renders nothing).
 */

export type MailTemplatePart = 'subject' | 'text' | 'html';

export interface MailTemplateSource {
	subject: string;
	text: string;
	/** optional; when given, the mail has a text and an HTML alternative */
	html?: string;
}

export interface RenderedMail {
	subject: string;
	text: string;
	html?: string;
}

/** A template that cannot be compiled or rendered; names the part and says why. */
export class MailTemplateError extends Error {
	constructor(
		readonly part: MailTemplatePart,
		readonly reason: string,
	) {
		super(`The ${part === 'html' ? 'HTML' : part} template cannot be used: ${reason}`);
		this.name = 'MailTemplateError';
	}
}

// one private Handlebars environment: helpers or partials registered elsewhere in the process do not leak in
const handlebars = Handlebars.create();

type Render = (data: object) => string;

function compile(part: MailTemplatePart, source: string, escape: boolean): Render {
	const options: NonNullable<Parameters<typeof handlebars.compile>[1]> = { knownHelpersOnly: true, noEscape: !escape, strict: false };
	try {
		// precompile runs the whole compiler now (compile() is lazy), so syntax errors and unknown helpers surface here
		handlebars.precompile(source, options);
	} catch (error) {
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- the mail layer knows no n8n; the node turns this into a NodeOperationError
		throw new MailTemplateError(part, (error as Error).message);
	}
	const template = handlebars.compile(source, options);
	return (data) => {
		try {
			return template(data, { allowProtoPropertiesByDefault: false, allowProtoMethodsByDefault: false });
		} catch (error) {
			// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- as above: reported by the node, per mail
			throw new MailTemplateError(part, (error as Error).message);
		}
	};
}

export interface CompiledMailTemplate {
	render(data: object): RenderedMail;
}

/** Which parts are missing: the subject, and a body (text or HTML). Empty when the template is complete. */
export function missingTemplateParts(source: MailTemplateSource): string[] {
	const missing: string[] = [];
	if (source.subject.trim() === '') missing.push('subject');
	if (source.text.trim() === '' && (source.html ?? '').trim() === '') missing.push('text (or HTML)');
	return missing;
}

/** Compiles the three parts; throws a MailTemplateError naming the part that is broken. */
export function compileMailTemplate(source: MailTemplateSource): CompiledMailTemplate {
	const subject = compile('subject', source.subject, false);
	const hasText = source.text.trim() !== '';
	const text = hasText ? compile('text', source.text, false) : undefined;
	const html = source.html !== undefined && source.html.trim() !== '' ? compile('html', source.html, true) : undefined;
	return {
		render(data) {
			const rendered: RenderedMail = {
				// a subject is one header line however the template or the data break it
				subject: headerSafe(subject(data)),
				text: text ? text(data) : '',
			};
			if (html) rendered.html = html(data);
			return rendered;
		},
	};
}
