/**
 * The workflow templates ship sample suppliers and seller data as placeholders in angle brackets, such as
 * "<your company name>": a node refuses to run while one is left, so that a template cannot act on real mail
 * or print a made-up company on real invoices before the user has filled it in.
 */
export function isPlaceholder(value: unknown): boolean {
	return typeof value === 'string' && /^<[^<>]*>$/.test(value.trim());
}

/** The first placeholder among `fields` (label → value), as [label, value]; undefined when none is left. */
export function firstPlaceholder(fields: Record<string, unknown>): [string, string] | undefined {
	const found = Object.entries(fields).find(([, value]) => isPlaceholder(value));
	return found ? [found[0], String(found[1]).trim()] : undefined;
}
