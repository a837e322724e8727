// The production connect/greeting time-out (transports/tls.ts): a login on a loaded 2-core box may take seconds,
// and 4 s failed runs by chance. Tests of a server that never answers shorten it (helpers/connectTimeout.ts).
process.env.BACKOFFICE_CONNECT_TIMEOUT_MS ??= '15000';
// A connection on which nothing arrives for 20 s counts as lost (120 s in production), so that a test that cuts a
// session fails within seconds instead of waiting for the server's side to notice.
process.env.BACKOFFICE_SOCKET_TIMEOUT_MS ??= '20000';
