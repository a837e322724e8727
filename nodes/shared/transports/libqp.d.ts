/** libqp (quoted-printable, by the author of nodemailer) ships no types; the one function used here. */
declare module 'libqp' {
	export function decode(input: string | Buffer): Buffer;
}
