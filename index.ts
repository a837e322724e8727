// Every node and credential class of the package. n8n itself loads the files listed in package.json's
// `n8n` field; this index is for code that imports the package directly (tests, other tools).
export { BackofficeFtpApi } from './credentials/BackofficeFtpApi.credentials';
export { BackofficeMailOAuth2Api } from './credentials/BackofficeMailOAuth2Api.credentials';
export { BackofficeImapApi } from './credentials/BackofficeImapApi.credentials';
export { BackofficeSmtpApi } from './credentials/BackofficeSmtpApi.credentials';
export { EInvoiceImapTrigger } from './nodes/EInvoiceImapTrigger/EInvoiceImapTrigger.node';
export { EInvoiceReader } from './nodes/EInvoiceReader/EInvoiceReader.node';
export { AccountingFtpImport } from './nodes/AccountingFtpImport/AccountingFtpImport.node';
export { InvoiceBulkMailer } from './nodes/InvoiceBulkMailer/InvoiceBulkMailer.node';
export { DeliveryNoteImapTrigger } from './nodes/DeliveryNoteImapTrigger/DeliveryNoteImapTrigger.node';
export { OrderExchange } from './nodes/OrderExchange/OrderExchange.node';
