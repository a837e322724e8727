/**
 * Between a client and vsftpd's control port (the test servers' plain FTP): notes the client's RETR, SIZE and PASV
 * commands and the server's final replies in the order they pass (`events`: `RETR`, `SIZE`, `PASV`, `226` …),
 * and with `refuseEpsv` makes vsftpd refuse EPSV (it gets an unknown command), as a server that only knows PASV
 * would. Data connections go to vsftpd directly.
 */
import type net from 'node:net';

import { loadServers } from './servers';
import { TcpProxy } from './tcpProxy';

export class FtpWatchProxy extends TcpProxy {
	readonly events: string[] = [];

	constructor(private readonly options: { refuseEpsv?: boolean } = {}) {
		super();
	}

	protected accept(client: net.Socket): void {
		const servers = loadServers();
		const upstream = this.upstreamFor(client, { host: servers.host, port: servers.ftp.port });
		let fromClient = '';
		client.on('data', (chunk: Buffer) => {
			fromClient += chunk.toString('latin1');
			for (let end = fromClient.indexOf('\r\n'); end >= 0; end = fromClient.indexOf('\r\n')) {
				const line = fromClient.slice(0, end);
				fromClient = fromClient.slice(end + 2);
				const verb = line.split(' ')[0];
				if (verb === 'RETR' || verb === 'SIZE' || verb === 'PASV') this.events.push(verb);
				upstream.write(`${this.options.refuseEpsv && line === 'EPSV' ? 'XEPSV' : line}\r\n`, 'latin1');
			}
		});
		upstream.on('data', (chunk: Buffer) => {
			for (const code of chunk.toString('latin1').match(/^[2-5]\d\d(?= )/gm) ?? []) this.events.push(code);
			client.write(chunk);
		});
		client.on('close', () => upstream.destroy());
		upstream.on('close', () => client.destroy());
		client.on('error', () => upstream.destroy());
		upstream.on('error', () => client.destroy());
	}
}
