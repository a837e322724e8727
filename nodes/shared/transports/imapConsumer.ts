export { consumeImapFolder, type ConsumeOptions, type ConsumeReport } from './imapSource';
