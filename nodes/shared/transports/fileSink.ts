/**
 * The producer contract of every file transport (FTP, SFTP, a local or cloud-synced folder): a sink delivers
 * a file atomically — written under a temporary name the sources of this package leave alone, then renamed
 * — so that a reader on the other side never sees half a file. A newer version replaces an older one of the
 * same name not yet picked up.
 *
 * Errors are `TransportError`s: kind `notFound` when the target directory does not exist (it is never
 * created: a typing error must not send documents where nobody reads them); kind `refusedByServer` when the
 * server refused this one file (the sink stays usable, the next file may go); any other kind when the
 * session broke (nothing more can be delivered on it).
 */
export interface FileSink {
	/** the target directory, absolute; known once the sink is open */
	readonly directory: string;
	/** A human label of where files go, e.g. `ftp.example.com:21` or the folder itself. */
	readonly where: string;
	/** Writes `bytes` as `name` (a plain file name) in the target directory; returns the final path. */
	deliver(name: string, bytes: Buffer): Promise<string>;
}

/** Opens the sink (checks the directory), runs `work`, and always closes its session, also on error. */
export type WithFileSink = <T>(work: (sink: FileSink) => Promise<T>) => Promise<T>;
