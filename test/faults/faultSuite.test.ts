/**
 * The fault suite (issue #12): real runs of the nodes against the real servers, with connections cut at
 * random protocol positions and servers restarted, then recovery runs without faults; every document is
 * accounted (test/faults/harness/ledger.ts). Seeded: BO_FAULT_SEED replays a run; the seed is printed first.
 * Prints one table (documents, faults, faults that hit a command, lost, twice, reported) and fails on any
 * document lost or handed over twice. How to drive it, also against a real n8n server: test/faults/README.md.
 */
import { verdictProblems, verdictTable, type Verdict } from './harness/ledger';
import { faultSeed, randomFor } from './harness/random';
import { fileScenario } from './scenarios/fileRuns';
import { orderReceiveFtp, paymentImport, type FileProtocol } from './scenarios/fileSpecs';
import { deliveryNoteTrigger, mailboxScenario } from './scenarios/mailbox';
import { invoiceMailerScenario } from './scenarios/invoiceMailer';
import { orderReceiveFolderScenario, orderReceiveMail } from './scenarios/orderExchange';

const seed = faultSeed();
const verdicts: Verdict[] = [];
const log = (line: string) => process.stdout.write(`${line}\n`);
const started = Date.now();

afterAll(() => {
	log(verdictTable(verdicts, seed));
	log(`fault suite: ${Math.round((Date.now() - started) / 1000)} s`);
});

/** Notes the verdict for the table; fails on anything lost or twice, or on faults that could not be placed. */
function judge(verdict: Verdict, minimumHits = 20): void {
	verdicts.push(verdict);
	const problems = verdictProblems(verdict, seed, minimumHits);
	if (problems.length) throw new Error(problems.join('\n'));
}

describe(`fault suite (seed ${seed})`, () => {
	it('IMAP: the Delivery Note IMAP Trigger hands every mail over once, through cut connections, TLS cuts, Dovecot restarts and overlapping polls', async () => {
		const ledger = await mailboxScenario(randomFor(seed, 'imap'), await deliveryNoteTrigger(), { documents: 160, hits: 22, restarts: 2, bursts: 2, log });
		judge(ledger.verdict());
	}, 300_000);

	it.each<FileProtocol>(['FTP', 'FTPS', 'SFTP'])(
		'%s: the Accounting FTP Import imports every payment file once, through cut sessions, killed or restarted servers and overlapping runs',
		async (protocol) => {
			const spec = paymentImport(protocol, { documents: 40, hits: 20, log });
			const ledger = await fileScenario(randomFor(seed, protocol), spec);
				judge(ledger.verdict());
		},
		300_000,
	);

	it('SMTP: the Invoice Bulk Mailer mails every invoice once, through cuts before and after each command and reply, Postfix reloads and restarts; a lost reply is reported, never resent', async () => {
		const ledger = await invoiceMailerScenario(randomFor(seed, 'smtp'), { documents: 60, minDocuments: 40, hits: 22, log });
		judge(ledger.verdict());
	}, 300_000);

	it('Order Exchange › Receive over FTP receives every order once, through cut sessions, killed or restarted servers and overlapping runs', async () => {
		const ledger = await fileScenario(randomFor(seed, 'order-ftp'), orderReceiveFtp({ documents: 40, hits: 20, log }));
		judge(ledger.verdict());
	}, 300_000);

	it('Order Exchange › Receive by mail receives every order once, through cut connections, TLS cuts, a Dovecot restart and overlapping runs', async () => {
		const ledger = await mailboxScenario(randomFor(seed, 'order-mail'), await orderReceiveMail(), { documents: 95, hits: 20, restarts: 1, bursts: 1, log });
		judge(ledger.verdict());
	}, 300_000);

	it('Order Exchange › Receive from a folder receives every order once through overlapping runs', async () => {
		// no connection to cut: its faults are the overlapping runs
		judge((await orderReceiveFolderScenario(randomFor(seed, 'order-folder'), { documents: 40, log })).verdict(), 0);
	}, 300_000);
});
